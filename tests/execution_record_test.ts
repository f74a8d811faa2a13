import assert from "node:assert/strict";
import process from "node:process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { type RunRecorder, type TaskEvent, WorkflowEngine } from "../mod.ts";

/** A recorder that keeps the events in memory and its outputs in a temporary directory. */
function memoryRecorder(): RunRecorder & { events: TaskEvent[]; closed: number; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "asyncflow-record-"));
  const events: TaskEvent[] = [];
  const recorder = {
    dir,
    events,
    closed: 0,
    outputDir: join(dir, "tasks"),
    onEvent: (e: TaskEvent) => events.push(e),
    close: () => {
      recorder.closed++;
      return Promise.resolve();
    },
  };
  return recorder;
}

describe("ExecutionRecord", () => {
  it("a done command's event tells what ran, where, how it ended and where its outputs are", async () => {
    const rec = memoryRecorder();
    try {
      const flow = await WorkflowEngine.create({ record: rec });
      const greet = flow.executableTask(
        (who: string) => `printf 'hi %s\\n' ${who}; echo warn >&2`,
        {
          env: { GREETING: "1" },
          resources: { coresPerRank: 1 },
        },
      );
      assert.equal(await greet("you"), "hi you");
      await flow.shutdown();
      const done = rec.events.find((e) => e.type === "done")!;
      const r = done.record!;
      assert.equal(r.command, "printf 'hi %s\\n' you; echo warn >&2");
      assert.equal(r.cwd, process.cwd());
      assert.deepEqual(r.env, { GREETING: "1" });
      assert.deepEqual(r.resources, { coresPerRank: 1 });
      assert.equal(r.host, hostname());
      assert.ok(Number.isInteger(r.pid) && r.pid! > 0 && r.pid !== process.pid);
      assert.equal(r.exitCode, 0);
      assert.equal(r.signal, undefined);
      assert.ok(r.startedAt! <= r.endedAt! && r.endedAt! <= done.time);
      assert.equal(r.stdoutPath, join(rec.outputDir!, "task.000001.stdout"));
      assert.equal(readFileSync(r.stdoutPath!, "utf8"), "hi you\n");
      assert.equal(readFileSync(r.stderrPath!, "utf8"), "warn\n");
      assert.deepEqual([r.stdoutBytes, r.stderrBytes], [7, 5]);
      assert.equal(rec.closed, 1);
    } finally {
      rmSync(rec.dir, { recursive: true, force: true });
    }
  });

  it("each attempt's record is on its own event: the exit code of a failure, the signal of a kill", async () => {
    const rec = memoryRecorder();
    try {
      const flow = await WorkflowEngine.create({ record: rec });
      const flaky = flow.executableTask(() => ["sh", "-c", "echo bad >&2; exit 3"], { retries: 1 });
      const killed = flow.executableTask(() => ["sh", "-c", "kill -TERM $$"]);
      await assert.rejects(flaky(), { name: "ExecutableError", exitCode: 3 });
      await assert.rejects(killed(), { name: "ExecutableError", signal: "SIGTERM" });
      await flow.shutdown();
      const retried = rec.events.find((e) => e.type === "retried")!;
      const failed = rec.events.filter((e) => e.type === "failed");
      assert.equal(retried.record!.exitCode, 3);
      assert.equal(failed[0]!.record!.exitCode, 3);
      assert.match(failed[0]!.record!.stderrPath!, /task\.000001\.attempt2\.stderr$/);
      assert.equal(readFileSync(failed[0]!.record!.stderrPath!, "utf8"), "bad\n");
      assert.equal(failed[1]!.record!.signal, "SIGTERM");
      assert.equal(failed[1]!.record!.exitCode, undefined);
    } finally {
      rmSync(rec.dir, { recursive: true, force: true });
    }
  });

  it("a command that cannot start still has a record of what was tried", async () => {
    const rec = memoryRecorder();
    try {
      const flow = await WorkflowEngine.create({ record: rec });
      await assert.rejects(flow.executableTask(() => ["/no/such/program", "x"])(), /Cannot start/);
      await flow.shutdown();
      const failed = rec.events.find((e) => e.type === "failed")!;
      assert.deepEqual(failed.record!.command, ["/no/such/program", "x"]);
      assert.equal(failed.record!.exitCode, undefined);
    } finally {
      rmSync(rec.dir, { recursive: true, force: true });
    }
  });

  it("without a recorder nothing is kept in files; a dry run records the commands it would run", async () => {
    const plain = await WorkflowEngine.create();
    const events: TaskEvent[] = [];
    plain.subscribe((e) => events.push(e));
    await plain.executableTask(() => ["true"])();
    await plain.shutdown();
    const record = events.find((e) => e.type === "done")!.record!;
    assert.equal(record.exitCode, 0);
    assert.equal(record.stdoutPath, undefined);

    const dry = await WorkflowEngine.create({ dryRun: true });
    const seen: TaskEvent[] = [];
    dry.subscribe((e) => seen.push(e));
    const up = dry.functionTask(() => 2, { name: "up" });
    await dry.executableTask((n: number) => ["simulate", "--seed", String(n)], { cwd: "/tmp" })(
      up(),
    );
    await dry.shutdown();
    const ran = seen.filter((e) => e.record !== undefined).map((e) => e.record);
    assert.deepEqual(ran, [{ command: ["simulate", "--seed", "dry-run:up"], cwd: "/tmp" }]);
  });

  it("a recorder that is not one is refused, naming the option", async () => {
    await assert.rejects(
      // deno-lint-ignore no-explicit-any
      WorkflowEngine.create({ record: {} as any }),
      /'record' must be a RunRecorder \(onEvent, close\), got/,
    );
  });
});
