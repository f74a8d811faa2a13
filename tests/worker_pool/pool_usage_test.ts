/**
 * Resource use of function tasks on the worker pool: each measured task's record has its wall
 * time and the CPU time of its Worker's thread while it ran; a recorded run measures without
 * being asked, an unrecorded one measures nothing.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ExecutionRecord, type RunRecorder, WorkflowEngine } from "../../mod.ts";
import { WorkerPoolBackend } from "../../backends/worker_pool/mod.ts";
import { recordRun } from "../../cli/runs/record_run.ts";
import { burnCpu, fail, sleep } from "../fixtures/task_functions.ts";

const SHARED = new URL("../fixtures/task_functions.ts", import.meta.url);
/** Present on Deno, Bun and Node 23.9+ (the suite's runtimes). */
const threadCpu = typeof (globalThis as { process?: { threadCpuUsage?: unknown } }).process
  ?.threadCpuUsage === "function";

/** Runs burnCpu(100), sleep(200), a failing task and a command on a pool; each record by name. */
async function records(
  options: { measureUsage?: boolean },
  record?: RunRecorder,
): Promise<Map<string, ExecutionRecord>> {
  const pool = new WorkerPoolBackend({ modules: [SHARED], size: 2, ...options });
  const flow = await WorkflowEngine.create({ backend: pool, ...(record ? { record } : {}) });
  const got = new Map<string, ExecutionRecord>();
  flow.subscribe((e) => e.record && got.set(e.name, e.record));
  try {
    await Promise.all([
      flow.functionTask(burnCpu)(100),
      flow.functionTask(sleep)(200),
      assert.rejects(flow.functionTask(fail)("no"), RangeError),
      flow.executableTask(() => ["sh", "-c", "echo hi"], { name: "command" })(),
    ]);
  } finally {
    await flow.shutdown();
  }
  return got;
}

describe("WorkerPoolBackend: resource use of function tasks", () => {
  it("measures wall time and the Worker thread's CPU time of each task, failed ones too", async () => {
    const before = Date.now();
    const got = await records({ measureUsage: true });
    const b = got.get("burnCpu")!;
    const s = got.get("sleep")!;
    assert.ok(b && s && got.get("fail"), `a record for each task: ${[...got.keys()]}`);
    for (const r of [b, s]) assert.ok(r.startedAt! >= before - 1_000, `startedAt ${r.startedAt}`);
    const wall = (r: ExecutionRecord) => r.endedAt! - r.startedAt!;
    assert.ok(wall(s) >= 190, `sleep(200) ran ${wall(s)} ms`);
    if (threadCpu) {
      // burnCpu(100) runs until its thread has had 100 ms of CPU (Deno's figure has 10 ms steps).
      assert.ok(b.cpuMs! >= 80, `burnCpu(100): cpuMs ${b.cpuMs}`);
      assert.ok(b.cpuMs! <= wall(b) + 20, `burnCpu: cpuMs ${b.cpuMs} within its ${wall(b)} ms`);
      assert.ok(s.cpuMs! < 50, `sleep: cpuMs ${s.cpuMs} of a task that waited`);
      assert.equal(typeof got.get("fail")!.cpuMs, "number");
    } else assert.equal(b.cpuMs, undefined);
  });

  it("a recorded run measures without being asked; an unrecorded one measures nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "asyncflow-pool-usage-"));
    try {
      const recorded = await records({}, recordRun({ dir: join(dir, "runs") }));
      const r = recorded.get("burnCpu")!;
      assert.ok(r.endedAt! - r.startedAt! >= 80, JSON.stringify(r));
      if (threadCpu) assert.ok(r.cpuMs! >= 80, `cpuMs ${r.cpuMs}`);
      // The pool's commands are recorded as the engine's own backend records them.
      const command = recorded.get("command")!;
      assert.match(command.stdoutPath ?? "", /runs\/.+\/tasks\//, JSON.stringify(command));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const unrecorded = await records({});
    assert.deepEqual(
      [...unrecorded.keys()],
      ["command"],
      "no function is measured when nothing asked for it",
    );
    assert.equal(unrecorded.get("command")!.cpuMs, undefined);
  });

  it("refuses a measureUsage that is not a boolean", () => {
    assert.throws(
      () => new WorkerPoolBackend({ modules: [SHARED], measureUsage: 1 as unknown as boolean }),
      /'measureUsage' must be a boolean, got 1/,
    );
  });
});
