import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { WorkflowEngine } from "../../mod.ts";
import { listRuns, recordRun } from "../../cli/main.ts";
import { tempDir } from "./_helpers.ts";

let tmp: ReturnType<typeof tempDir>;
before(() => (tmp = tempDir()));
after(() => tmp.cleanup());

const info = (dir: string) => JSON.parse(readFileSync(join(dir, "run.json"), "utf8"));

describe("recordRun, for a program that uses the engine itself", () => {
  it("is 'running' until shutdown, then tells the status, counts and leaves", async () => {
    const dir = join(tmp.dir, "lib-runs");
    const record = recordRun({ dir, argv: ["sweep", "--n", "2"], workflow: { name: "sweep" } });
    const flow = await WorkflowEngine.create({ record });
    assert.equal(info(record.dir).status, "running");
    const ok = flow.executableTask((n: number) => ["echo", `point ${n}`], { name: "echo" });
    const bad = flow.functionTask(() => {
      throw new RangeError("out of range");
    });
    await ok(1);
    await assert.rejects(bad(), RangeError);
    await flow.shutdown();
    const done = info(record.dir);
    assert.equal(done.status, "failed");
    assert.deepEqual(done.argv, ["sweep", "--n", "2"]);
    assert.equal(done.engineUid, flow.uid);
    assert.deepEqual(done.counts, { created: 2, done: 1, failed: 1, cancelled: 0, retried: 0 });
    assert.deepEqual(done.leaves, [{ uid: "task.000001", name: "echo", value: "point 1" }]);
    const trace = readFileSync(record.tracePath, "utf8");
    assert.match(trace, /"stack":"RangeError: out of range/);
    assert.equal(listRuns(dir)[0]!.info.id, record.id);
  });

  it("records what the engine cannot know: an interruption", async () => {
    const record = recordRun({ dir: join(tmp.dir, "stopped-runs") });
    const flow = await WorkflowEngine.create({ record });
    record.end({ status: "interrupted", error: "SIGTERM" });
    await flow.shutdown();
    assert.deepEqual([info(record.dir).status, info(record.dir).error], ["interrupted", "SIGTERM"]);
  });

  it("a run whose process died without completing its record reads as interrupted", () => {
    const dir = join(tmp.dir, "dead-runs", "20260101-000000-dead");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "run.json"),
      JSON.stringify({
        id: "20260101-000000-dead",
        status: "running",
        argv: [],
        cwd: "/",
        host: hostname(),
        pid: 2 ** 22 + 1, // above the kernel's pid_max: no such process
        engineUid: "",
        startedAt: 1,
        counts: { created: 0, done: 0, failed: 0, cancelled: 0, retried: 0 },
      }),
    );
    const [run] = listRuns(join(tmp.dir, "dead-runs"));
    assert.equal(run!.info.status, "interrupted");
    assert.match(
      run!.info.error!,
      /its process \(pid 4194305\) ended without completing the record/,
    );
  });

  it("refuses a keep that is not a positive integer, naming it", () => {
    assert.throws(() => recordRun({ dir: tmp.dir, keep: 0 }), /'keep' must be a positive integer/);
  });
});
