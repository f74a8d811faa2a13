import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { after, before, describe, it } from "node:test";
import { readTrace } from "../../graph/mod.ts";
import { ROOT, runCli, runCliProcess, tempDir } from "./_helpers.ts";

let tmp: ReturnType<typeof tempDir>;
before(() => (tmp = tempDir()));
after(() => tmp.cleanup());

/** The run directories under `root`, oldest first. */
function runsIn(root: string): string[] {
  return existsSync(root) ? readdirSync(root).sort() : [];
}

function runJson(dir: string) {
  return JSON.parse(readFileSync(join(dir, "run.json"), "utf8"));
}

const CAMPAIGN = [
  "name: tiny",
  "description: Two steps, the second uses the first's output.",
  "tasks:",
  "  gen: { command: 'echo 42; echo note >&2' }",
  "  use: { command: 'echo got ${{ tasks.gen.output }}' }",
].join("\n");

describe("run directories", () => {
  it("a YAML campaign run without flags leaves .asyncflow/runs/<id>/ with run.json, trace and outputs", async () => {
    const cwd = join(tmp.dir, "yaml-project");
    mkdirSync(cwd);
    writeFileSync(join(cwd, "tiny.yaml"), CAMPAIGN);
    const r = await runCliProcess(["run", "tiny.yaml"], { cwd, env: { ASYNCFLOW_RUNS_DIR: "" } });
    assert.equal(r.code, 0, r.stderr);
    const root = join(cwd, ".asyncflow", "runs");
    const [id] = runsIn(root);
    assert.match(id!, /^\d{8}-\d{6}-[0-9a-f]{4}$/);
    const dir = join(root, id!);
    const info = runJson(dir);
    assert.equal(info.id, id);
    assert.equal(info.status, "succeeded");
    assert.deepEqual(info.argv, ["run", "tiny.yaml"]);
    assert.equal(info.cwd, cwd);
    assert.deepEqual(info.workflow, {
      file: "tiny.yaml",
      name: "tiny",
      description: "Two steps, the second uses the first's output.",
    });
    assert.ok(info.startedAt <= info.endedAt);
    assert.deepEqual(info.counts, { created: 2, done: 2, failed: 0, cancelled: 0, retried: 0 });
    assert.deepEqual(info.leaves, [{ uid: "task.000002", name: "use", value: "got 42" }]);
    const events = readTrace(readFileSync(join(dir, "trace.jsonl"), "utf8"));
    const gen = events.find((e) => e.type === "done" && e.name === "gen")!;
    assert.equal(gen.record!.command, "echo 42; echo note >&2");
    assert.equal(readFileSync(gen.record!.stdoutPath!, "utf8"), "42\n");
    assert.equal(readFileSync(join(dir, "tasks", "task.000001.stderr"), "utf8"), "note\n");
    assert.match(r.stderr, new RegExp(`^ {2}run: ${id} `, "m"));
  });

  it("a TypeScript campaign run without flags is recorded too, with its exported description", async () => {
    const cwd = join(tmp.dir, "ts-project");
    mkdirSync(cwd);
    const mod = JSON.stringify(join(ROOT, "mod.ts"));
    writeFileSync(
      join(cwd, "sweep.ts"),
      [
        `import type { WorkflowEngine } from ${mod};`,
        `export const description = "A sweep of two points.";`,
        "export default async function (flow: WorkflowEngine) {",
        "  const point = flow.executableTask((n: number) => ['echo', `p${n}`], { name: 'point' });",
        "  await Promise.all([point(1), point(2)]);",
        "}",
      ].join("\n"),
    );
    const r = await runCliProcess(["run", "sweep.ts", "-q"], {
      cwd,
      env: { ASYNCFLOW_RUNS_DIR: "" },
    });
    assert.equal(r.code, 0, r.stderr);
    const root = join(cwd, ".asyncflow", "runs");
    const info = runJson(join(root, runsIn(root)[0]!));
    assert.equal(info.status, "succeeded");
    assert.deepEqual(info.workflow, {
      file: "sweep.ts",
      name: "sweep.ts",
      description: "A sweep of two points.",
    });
    assert.equal(info.counts.done, 2);
    assert.deepEqual(info.leaves.map((l: { value: string }) => l.value), ["p1", "p2"]);
  });

  it("a failed run says so; --no-record writes nothing; --runs-dir and $ASYNCFLOW_RUNS_DIR say where", async () => {
    const root = join(tmp.dir, "failing-runs");
    const file = tmp.write("fails.yaml", "tasks:\n  bad: { command: 'echo no >&2; exit 3' }\n");
    const failed = await runCli(["run", file, "--runs-dir", root, "-q", "--json"]);
    assert.equal(failed.code, 1);
    const summary = JSON.parse(failed.stdout);
    assert.equal(summary.run.dir, join(root, summary.run.id));
    assert.equal(runJson(summary.run.dir).status, "failed");

    const before = runsIn(root).length;
    assert.equal((await runCli(["run", file, "--runs-dir", root, "--no-record", "-q"])).code, 1);
    assert.equal(runsIn(root).length, before);

    const fromEnv = join(tmp.dir, "env-runs");
    const saved = process.env.ASYNCFLOW_RUNS_DIR;
    process.env.ASYNCFLOW_RUNS_DIR = fromEnv;
    try {
      await runCli(["run", file, "-q"]);
    } finally {
      if (saved === undefined) delete process.env.ASYNCFLOW_RUNS_DIR;
      else process.env.ASYNCFLOW_RUNS_DIR = saved;
    }
    assert.equal(runsIn(fromEnv).length, 1);
  });

  it("keeps the newest --keep-runs runs, and never removes one that is still running", async () => {
    const root = join(tmp.dir, "kept-runs");
    const file = tmp.write("ok.yaml", "tasks:\n  one: { command: 'true' }\n");
    // A run older than all others whose process (this one) is alive: it must stay.
    const live = join(root, "20000101-000000-aaaa");
    mkdirSync(live, { recursive: true });
    writeFileSync(
      join(live, "run.json"),
      JSON.stringify({
        id: "20000101-000000-aaaa",
        status: "running",
        argv: [],
        cwd: "/",
        host: (await import("node:os")).hostname(),
        pid: process.pid,
        engineUid: "",
        startedAt: 0,
        counts: { created: 0, done: 0, failed: 0, cancelled: 0, retried: 0 },
      }),
    );
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await runCli(["run", file, "--runs-dir", root, "--keep-runs", "2", "-q", "--json"]);
      assert.equal(r.code, 0, r.stderr);
      ids.push(JSON.parse(r.stdout).run.id);
    }
    assert.deepEqual(runsIn(root), ["20000101-000000-aaaa", ...ids.slice(-2)].sort());
    const bad = await runCli(["run", file, "--runs-dir", root, "--keep-runs", "0"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /'--keep-runs' must be a positive integer, got the string "0"/);
  });

  it("a 30 MB stdout stays out of the trace: its file holds every byte, resume still has it", async () => {
    const root = join(tmp.dir, "big-runs");
    const file = tmp.write(
      "big.yaml",
      [
        "tasks:",
        "  big: { command: \"head -c 31457280 /dev/zero | tr '\\\\0' x\" }",
        "  next: { command: 'true', after: big }",
      ].join("\n"),
    );
    const r = await runCli(["run", file, "--runs-dir", root, "-q", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const { run } = JSON.parse(r.stdout);
    const trace = readFileSync(join(run.dir, "trace.jsonl"), "utf8");
    assert.ok(trace.length < 100_000, `the trace is ${trace.length} bytes`);
    for (const line of trace.split("\n")) assert.ok(line.length < 70_000);
    const done = readTrace(trace).find((e) => e.type === "done" && e.name === "big")!;
    assert.equal(done.result, undefined);
    assert.equal(done.resultFile, `results/${done.uid}.json`);
    assert.equal(done.record!.stdoutBytes, 31457280);
    assert.equal(readFileSync(done.record!.stdoutPath!).length, 31457280);

    const again = await runCli([
      "run",
      file,
      "--runs-dir",
      root,
      "--resume",
      run.id,
      "-q",
      "--json",
    ]);
    assert.equal(again.code, 0, again.stderr);
    // Both were resumed: the big result came back from its file (without it, big runs again).
    assert.equal(JSON.parse(again.stdout).tasks.resumed, 2);
  });
});
