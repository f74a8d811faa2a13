import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { CancelledError, type TaskEvent, WorkflowEngine } from "../../mod.ts";
import { WorkerCrashError, WorkerPoolBackend } from "../../backends/worker_pool/mod.ts";
import * as tasks from "./fixtures/pool_tasks.ts";
import { add } from "../fixtures/task_functions.ts";
import { waitFor } from "../backend_conformance.ts";

const TASKS = new URL("./fixtures/pool_tasks.ts", import.meta.url);
const SHARED = new URL("../fixtures/task_functions.ts", import.meta.url);

function runningOf(flow: WorkflowEngine, name: string): Promise<TaskEvent> {
  return new Promise((resolve) => {
    const stop = flow.subscribe((e) => {
      if (e.type === "running" && e.name === name) (stop(), resolve(e));
    });
  });
}

describe("WorkerPoolBackend modes", () => {
  it("claims over shared memory where SharedArrayBuffer exists, and says so", () => {
    assert.equal(new WorkerPoolBackend({ modules: [TASKS], size: 1 }).mode, "shared-memory");
  });

  it("refuses a mode it does not know, naming the value", () => {
    assert.throws(
      () => new WorkerPoolBackend({ modules: [TASKS], mode: "shm" as "messages" }),
      /'mode' must be "shared-memory" or "messages", got "shm"/,
    );
  });

  it("in messages mode, cancels a task that has not started without terminating any worker", async () => {
    const pool = new WorkerPoolBackend({ modules: [TASKS, SHARED], size: 1, mode: "messages" });
    assert.equal(pool.mode, "messages");
    await using flow = await WorkflowEngine.create({ backend: pool });
    const started = runningOf(flow, "later");
    const first = flow.functionTask(tasks.later)(100, "first");
    await started;
    const addT = flow.functionTask(add);
    const waiting = [addT(1, 1), addT(2, 2)];
    for (const f of waiting) assert.equal(f.cancel("not needed"), true);
    for (const f of waiting) await assert.rejects(f, CancelledError);
    assert.equal(await first, "first");
    assert.equal(await addT(4, 4), 8);
    assert.equal(pool.stats().completed, 2, "the cancelled tasks never ran");
    assert.equal(pool.stats().retired, 0);
  });

  it("in messages mode, cancels a running task by terminating its worker, then goes on", async () => {
    const pool = new WorkerPoolBackend({ modules: [TASKS, SHARED], size: 1, mode: "messages" });
    await using flow = await WorkflowEngine.create({ backend: pool });
    const marker = `${mkdtempSync(`${tmpdir()}/asyncflow-pool-`)}/started`;
    const spin = flow.functionTask(tasks.spinForever)(marker);
    await waitFor(() => existsSync(marker), "the endless task to start");
    assert.equal(spin.cancel("enough"), true);
    await assert.rejects(spin, CancelledError);
    assert.equal(await flow.functionTask(add)(1, 2), 3);
    assert.equal(pool.stats().retired, 1);
  });

  it("in messages mode, fails the task of a worker that crashes and replaces the worker", async () => {
    const pool = new WorkerPoolBackend({ modules: [TASKS, SHARED], size: 1, mode: "messages" });
    await using flow = await WorkflowEngine.create({ backend: pool });
    await assert.rejects(flow.functionTask(tasks.crashLater)(), WorkerCrashError);
    assert.equal(await flow.functionTask(add)(5, 5), 10);
    assert.equal(pool.stats().crashed, 1);
  });
});
