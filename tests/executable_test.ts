import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import process from "node:process";
import { ExecutableError, LocalBackend, WorkflowEngine } from "../mod.ts";

describe("executable tasks", () => {
  it("says that a working directory does not exist, not that the shell is missing", async () => {
    await using flow = await WorkflowEngine.create();
    const cwd = `${tmpdir()}/asyncflow-no-such-dir-${process.pid}`;
    for (const command of ["true", ["true"]]) {
      const exe = flow.executableTask(() => command, { cwd });
      await assert.rejects(exe(), (e: Error) => {
        assert.match(
          e.message,
          /the working directory '.*asyncflow-no-such-dir-\d+' does not exist/,
        );
        assert.doesNotMatch(e.message, /ENOENT/);
        return true;
      });
    }
  });

  it("runs in the given cwd with added environment variables", async () => {
    const dir = realpathSync(mkdtempSync(`${tmpdir()}/asyncflow-cwd-`));
    await using flow = await WorkflowEngine.create();
    const where = flow.executableTask(() => 'echo "$PWD $GREETING"', {
      cwd: dir,
      env: { GREETING: "hi there" },
    });
    assert.equal(await where(), `${dir} hi there`);
  });

  it("captures output to files under the engine's directory and resolves to the stdout path", async () => {
    const workDir = mkdtempSync(`${tmpdir()}/asyncflow-capture-`);
    await using flow = await WorkflowEngine.create({ workDir, uid: "run-1" });
    const big = flow.executableTask(() => "seq 1 100000; echo oops >&2", { captureOutput: true });
    const f = big();
    const path = await f;
    assert.equal(path, `${workDir}/run-1/${f.uid}.stdout`);
    const text = readFileSync(path, "utf8");
    assert.equal(text.split("\n").length, 100_001);
    assert.equal(readFileSync(`${workDir}/run-1/${f.uid}.stderr`, "utf8"), "oops\n");
  });

  it("resolves to stdout and stderr of a successful command with result: 'output'", async () => {
    await using flow = await WorkflowEngine.create();
    const warn = flow.executableTask(() => "echo out; echo careful >&2", { result: "output" });
    assert.deepEqual(await warn(), { stdout: "out\n", stderr: "careful\n" });
    const plain = flow.executableTask(() => "echo out; echo careful >&2");
    assert.equal(await plain(), "out"); // the value loses one final newline; result: "output" keeps it
  });

  it("takes result: 'output' at definition only, and not with captureOutput", async () => {
    await using flow = await WorkflowEngine.create();
    const t = flow.executableTask(() => "true");
    assert.throws(
      () => t.with({ result: "output" } as never),
      /'result' changes what the task resolves to: give it when defining the task/,
    );
    assert.throws(
      () => flow.executableTask(() => "true", { result: "output", captureOutput: true }),
      /'result: "output"' keeps both streams in memory; 'captureOutput' writes them to files/,
    );
    assert.throws(
      () => flow.executableTask(() => "true", { result: "stderr" as "output" }),
      /'result' must be one of "stdout", "output", got the string "stderr"/,
    );
  });

  it("reports a signal that ended the process", async () => {
    await using flow = await WorkflowEngine.create();
    const killed = flow.executableTask(() => "kill -9 $$");
    await assert.rejects(
      killed(),
      (e: unknown) => e instanceof ExecutableError && e.signal === "SIGKILL" && e.exitCode === null,
    );
  });

  it("fails clearly when the program does not exist", async () => {
    await using flow = await WorkflowEngine.create();
    const missing = flow.executableTask(() => ["/no/such/program", "x"]);
    await assert.rejects(missing(), /Cannot start '\/no\/such\/program'/);
  });

  it("fails each of a long queue of commands that cannot start with its own error", async () => {
    // Each fails as it starts, before any await: the next one must not start on its stack.
    for (const launcher of [true, false]) {
      await using flow = await WorkflowEngine.create({
        backend: new LocalBackend({ processes: 1, launcher }),
      });
      const nul = flow.executableTask((i: number) => ["echo", `${i}\0`]);
      const outcomes = await Promise.allSettled(Array.from({ length: 3_000 }, (_, i) => nul(i)));
      const other = outcomes.find((o) =>
        o.status !== "rejected" || !/NUL|null bytes/.test(o.reason.message)
      );
      assert.equal(other, undefined, `launcher: ${launcher}`);
    }
  });

  it("fails clearly when the body returns something that is not a command", async () => {
    await using flow = await WorkflowEngine.create();
    await assert.rejects(flow.executableTask(() => "  ")(), /its body returned an empty command/);
    await assert.rejects(flow.executableTask(() => [] as string[])(), /empty argv array/);
    await assert.rejects(
      flow.executableTask(() => ["echo", 3] as never)(),
      /argv\[1\] must be a string, got number 3/,
    );
    await assert.rejects(
      flow.executableTask(() => undefined as never)(),
      /must return a command string or an argv array, got undefined/,
    );
  });

  it("accepts an async body", async () => {
    await using flow = await WorkflowEngine.create();
    const later = flow.executableTask(async (n: number) => {
      await Promise.resolve();
      return ["echo", `n=${n}`];
    });
    assert.equal(await later(7), "n=7");
  });

  it("runs at most `processes` commands at once", async () => {
    const dir = mkdtempSync(`${tmpdir()}/asyncflow-limit-`);
    await using flow = await WorkflowEngine.create({ backend: new LocalBackend({ processes: 2 }) });
    // Each command records how many were running when it started (a counter file under a lock).
    const cmd = flow.executableTask((i: number) =>
      `exec 9>${dir}/lock; flock 9; n=$(cat ${dir}/n 2>/dev/null || echo 0); echo $((n+1)) > ${dir}/n; ` +
      `echo $((n+1)) >> ${dir}/peaks; flock -u 9; sleep 0.05; flock 9; n=$(cat ${dir}/n); echo $((n-1)) > ${dir}/n; echo ${i}`
    );
    const lanes = new Set<string>();
    flow.subscribe((e) => e.type === "running" && lanes.add(e.where!));
    await Promise.all(Array.from({ length: 8 }, (_, i) => cmd(i)));
    assert.deepEqual([...lanes].sort(), ["process-1", "process-2"], "each command names its slot");
    const peaks = readFileSync(`${dir}/peaks`, "utf8").trim().split("\n").map(Number);
    assert.equal(peaks.length, 8);
    assert.ok(Math.max(...peaks) <= 2, `peaks ${peaks}`);
  });

  it("rejects a process limit that is not a positive integer", () => {
    assert.throws(
      () => new LocalBackend({ processes: 0 }),
      /^TypeError: LocalBackend: 'processes' must be a positive integer, got number 0$/,
    );
  });
});
