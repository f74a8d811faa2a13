import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { CancelledError, type TaskEvent, TimeoutError, WorkflowEngine } from "../../mod.ts";
import {
  MovedArgumentsError,
  transfer,
  WorkerCrashError,
  WorkerPoolBackend,
  type WorkerPoolOptions,
} from "../../backends/worker_pool/mod.ts";
import * as tasks from "./fixtures/pool_tasks.ts";
import * as broken from "./fixtures/broken_module.ts";
import { add } from "../fixtures/task_functions.ts";
import { waitFor } from "../backend_conformance.ts";
import { runtime } from "../../src/host/runtime.ts";

const TASKS = new URL("./fixtures/pool_tasks.ts", import.meta.url);
const SHARED = new URL("../fixtures/task_functions.ts", import.meta.url);
const BROKEN = new URL("./fixtures/broken_module.ts", import.meta.url);
const isNode = runtime === "node";

/** Runs `body` with an engine on a fresh pool, and shuts both down. */
async function withPool(
  options: Partial<WorkerPoolOptions>,
  body: (flow: WorkflowEngine, pool: WorkerPoolBackend) => Promise<void>,
): Promise<void> {
  const pool = new WorkerPoolBackend({ modules: [TASKS, SHARED], size: 2, ...options });
  const flow = await WorkflowEngine.create({ backend: pool });
  try {
    await body(flow, pool);
  } finally {
    await flow.shutdown();
  }
}

/** Resolves with the `running` event of the first task named `name`. */
function runningOf(flow: WorkflowEngine, name: string): Promise<TaskEvent> {
  return new Promise((resolve) => {
    const stop = flow.subscribe((e) => {
      if (e.type === "running" && e.name === name) {
        stop();
        resolve(e);
      }
    });
  });
}

describe("WorkerPoolBackend", () => {
  it("fails a function no task module exports, saying what to do", async () => {
    await withPool({}, async (flow) => {
      const local = flow.functionTask(function square(n: number) {
        return n * n;
      });
      await assert.rejects(local(3), (e: Error) => {
        assert.ok(e instanceof TypeError, String(e));
        assert.match(e.message, /'square' is not exported by any of its task modules/);
        assert.match(e.message, /list that module in the pool's 'modules' option/);
        return true;
      });
    });
  });

  it("rejects options out of range, naming the option and the value", () => {
    assert.throws(
      () => new WorkerPoolBackend({ modules: [TASKS], size: -1 }),
      /'size' must be a positive integer, got -1/,
    );
    assert.throws(
      () => new WorkerPoolBackend({ modules: [TASKS], size: 1, minWorkers: 2 }),
      /'minWorkers' \(2\) exceeds 'size' \(1\)/,
    );
    assert.throws(
      // @ts-expect-error: not a duration
      () => new WorkerPoolBackend({ modules: [TASKS], idleTimeout: "5 minutes" }),
      /WorkerPoolBackend: 'idleTimeout' must be a duration of zero or more: .*got the string "5 minutes" \(write "5m"\)/,
    );
  });

  it("cancels a running task by replacing its worker; the other task is unaffected", async () => {
    await withPool({}, async (flow, pool) => {
      const spinning = runningOf(flow, "spinForever");
      const siblingRunning = runningOf(flow, "later");
      const marker = `${mkdtempSync(`${tmpdir()}/asyncflow-pool-`)}/started`;
      const spin = flow.functionTask(tasks.spinForever)(marker);
      const sibling = flow.functionTask(tasks.later)(300, "sibling");
      const where = (await spinning).where;
      assert.notEqual((await siblingRunning).where, where);
      await waitFor(() => existsSync(marker), "the endless task to start");
      assert.equal(spin.cancel("enough"), true);
      await assert.rejects(spin, CancelledError);
      assert.equal(await sibling, "sibling");
      assert.equal(await flow.functionTask(add)(1, 2), 3);
      assert.equal(pool.stats().retired, 1);
    });
  });

  it("times out a task that never returns, then keeps serving", async () => {
    await withPool({ size: 1 }, async (flow) => {
      const spin = flow.functionTask(tasks.spinForever, { timeout: 100 });
      await assert.rejects(spin(), TimeoutError);
      assert.equal(await flow.functionTask(add)(2, 2), 4);
    });
  });

  it("removes cancelled tasks that have not started, without touching the worker", async () => {
    await withPool({ size: 1 }, async (flow, pool) => {
      const started = runningOf(flow, "later");
      const first = flow.functionTask(tasks.later)(100, "first");
      await started;
      const addT = flow.functionTask(add);
      const waiting = [addT(1, 1), addT(2, 2), addT(3, 3)];
      for (const f of waiting) assert.equal(f.cancel("not needed"), true);
      for (const f of waiting) await assert.rejects(f, CancelledError);
      assert.equal(await first, "first");
      assert.equal(await addT(4, 4), 8);
      const stats = pool.stats();
      assert.equal(stats.completed, 2, "the cancelled tasks never ran");
      assert.equal(stats.retired + stats.crashed, 0, "no worker was terminated");
    });
  });

  it("fails the task of a worker that crashes, replaces the worker, and retries per the policy", async () => {
    await withPool({}, async (flow, pool) => {
      const retried: TaskEvent[] = [];
      flow.subscribe((e) => e.type === "retried" && retried.push(e));
      const crash = flow.functionTask(tasks.crashLater, { retries: 1 });
      await assert.rejects(crash(), (e: Error) => {
        assert.ok(e instanceof WorkerCrashError, String(e));
        assert.match(e.message, /boom from a timer/);
        return true;
      });
      assert.equal(retried.length, 1);
      assert.equal(pool.stats().crashed, 2);
      assert.equal(await flow.functionTask(add)(5, 5), 10);
    });
  });

  it("fails the task of a worker that exits, and goes on", async () => {
    await withPool({ size: 1 }, async (flow) => {
      await assert.rejects(flow.functionTask(tasks.exitNow)(3), (e: Error) => {
        assert.ok(e instanceof WorkerCrashError, String(e));
        assert.match(e.message, /process\.exit\(3\)|code 3/);
        return true;
      });
      assert.equal(await flow.functionTask(add)(1, 1), 2);
    });
  });

  it("fails every task sent to a module that cannot load in a worker, with the module's error", async () => {
    await withPool({ modules: [BROKEN, SHARED] }, async (flow) => {
      const task = flow.functionTask(broken.unreachable);
      for (const f of [task(), task()]) {
        await assert.rejects(
          f,
          /failed to load in a worker: broken_module refuses to load inside a worker/,
        );
      }
      assert.equal(await flow.functionTask(add)(1, 2), 3);
    });
  });

  it("fails, rather than hangs, when the worker script itself cannot load", async () => {
    const missing = new URL("./fixtures/no_such_worker_script.ts", import.meta.url);
    await withPool({ workerScript: missing }, async (flow) => {
      const addT = flow.functionTask(add);
      const results = await Promise.allSettled([addT(1, 2), addT(3, 4), addT(5, 6)]);
      for (const r of results) {
        assert.equal(r.status, "rejected");
        assert.match(String((r as PromiseRejectedResult).reason), /failed to start/);
      }
    });
  });

  it("refuses to attach when a task module cannot be imported at all", async () => {
    const pool = new WorkerPoolBackend({
      modules: [new URL("./fixtures/missing.ts", import.meta.url)],
    });
    await assert.rejects(
      WorkflowEngine.create({ backend: pool }),
      /cannot import task module .*missing\.ts/,
    );
  });

  it("recycles a worker after maxTasksPerWorker tasks", async () => {
    await withPool({ size: 1, maxTasksPerWorker: 2 }, async (flow, pool) => {
      const token = flow.functionTask(tasks.workerToken);
      const seen: string[] = [];
      for (let i = 0; i < 5; i++) seen.push(await token());
      assert.equal(seen[0], seen[1]);
      assert.notEqual(seen[1], seen[2]);
      assert.equal(seen[2], seen[3]);
      assert.equal(new Set(seen).size, 3);
      assert.equal(pool.stats().retired, 2);
    });
  });

  it("keeps minWorkers warm and ends idle workers above it", async () => {
    await withPool({ minWorkers: 1, idleTimeout: "200ms" }, async (flow, pool) => {
      assert.equal(pool.stats().workers, 1, "one worker started at attach");
      const later = flow.functionTask(tasks.later);
      await Promise.all([later(20, 1), later(20, 2)]);
      // A second worker was started; on a loaded machine it may already have idled out.
      assert.equal(pool.stats().workers + pool.stats().retired, 2);
      await waitFor(() => pool.stats().retired === 1, "an idle worker to end");
      assert.equal(pool.stats().workers, 1);
    });
  });

  it("transfers marked buffers instead of copying them, both ways", async () => {
    await withPool({}, async (flow) => {
      const bytes = new Uint8Array(1024).fill(1);
      assert.equal(await flow.functionTask(tasks.sumBytes)(transfer(bytes)), 1024);
      assert.equal(bytes.byteLength, 0, "the sender's buffer is detached");
      const copy = new Uint8Array(4).fill(2);
      assert.equal(await flow.functionTask(tasks.sumBytes)(copy), 8);
      assert.equal(copy.byteLength, 4, "unmarked buffers are copied");
      const made = await flow.functionTask(tasks.makeBytes)(16);
      assert.deepEqual([...made], new Array(16).fill(7));
    });
  });

  it("runs every task whose arguments were moved, though idle workers take held jobs", async () => {
    // Bursts of quick tasks: a worker that runs out takes jobs another holds, which must not be
    // those whose buffers already moved to that other worker (they would arrive detached).
    await withPool({ minWorkers: 2 }, async (flow) => {
      const sum = flow.functionTask(tasks.sumBytes);
      for (let burst = 0; burst < 5; burst++) {
        const sums = await Promise.all(
          Array.from({ length: 200 }, () => sum(transfer(new Uint8Array(64).fill(1)))),
        );
        assert.deepEqual(sums, new Array(200).fill(64));
      }
    });
  });

  it("fails a held task whose moved arguments its ended worker took along, saying so", async () => {
    await withPool({ size: 1 }, async (flow) => {
      const spinning = runningOf(flow, "spinForever");
      const marker = `${mkdtempSync(`${tmpdir()}/asyncflow-pool-`)}/started`;
      const spin = flow.functionTask(tasks.spinForever)(marker);
      const sum = flow.functionTask(tasks.sumBytes);
      const moved = sum(transfer(new Uint8Array(4).fill(1))); // held behind the spinning task
      const copied = sum(new Uint8Array(4).fill(1));
      await spinning;
      await waitFor(() => existsSync(marker), "the endless task to start");
      assert.equal(spin.cancel("enough"), true);
      await assert.rejects(moved, (error: unknown) => {
        assert.ok(error instanceof MovedArgumentsError, String(error));
        assert.equal(error.worker, "worker-1");
        assert.match(error.message, /stop the cancelled task task\.\d+/);
        return true;
      });
      assert.equal(await copied, 4, "a copied argument is sent again to the new worker");
    });
  });

  it("fails a task given a buffer already moved by another, saying so", async () => {
    await withPool({}, async (flow) => {
      const sum = flow.functionTask(tasks.sumBytes);
      const bytes = transfer(new Uint8Array(8).fill(1));
      assert.equal(await sum(bytes), 8);
      await assert.rejects(sum(bytes), /1 buffer\(s\) marked with transfer\(\) were moved already/);
      assert.equal(await sum(new Uint8Array(2).fill(3)), 6, "the pool goes on");
    });
  });

  it("keeps the stack of a task's error from the worker, for the events and the trace", async () => {
    await withPool({}, async (flow) => {
      const events: TaskEvent[] = [];
      flow.subscribe((e) => events.push(e));
      await assert.rejects(flow.functionTask(tasks.throwKind)(false), RangeError);
      const failed = events.find((e) => e.type === "failed");
      assert.match(failed?.error?.stack ?? "", /throwKind .*pool_tasks\.ts/);
    });
  });

  it("keeps a task's error type, cause and own fields across the thread", async () => {
    await withPool({}, async (flow) => {
      const throwKind = flow.functionTask(tasks.throwKind);
      await assert.rejects(throwKind(false), (e: Error) => {
        assert.ok(e instanceof RangeError, String(e));
        assert.equal(e.message, "out of range");
        assert.equal((e.cause as Error).message, "the root cause");
        return true;
      });
      await assert.rejects(throwKind(true), (e: Error & { over?: number }) => {
        assert.equal(e.name, "QuotaError");
        assert.equal(e.message, "over quota by 7");
        assert.equal(e.over, 7);
        return true;
      });
    });
  });

  it("fails only the task whose arguments cannot be cloned; the others sent with it run", async () => {
    await withPool({ size: 1 }, async (flow, pool) => {
      const addT = flow.functionTask(add);
      const unclonable = (() => 1) as unknown as number;
      const results = await Promise.allSettled([addT(1, 1), addT(unclonable, 1), addT(2, 2)]);
      assert.deepEqual(results.map((r) => r.status), ["fulfilled", "rejected", "fulfilled"]);
      const reason = (results[1] as PromiseRejectedResult).reason as Error;
      assert.ok(reason instanceof TypeError, String(reason));
      assert.match(reason.message, /its arguments cannot be sent to a worker \(structured clone\)/);
      assert.equal(pool.stats().crashed, 0);
    });
  });

  it("fails a task whose result cannot be cloned, and its worker goes on", async () => {
    await withPool({ size: 1 }, async (flow, pool) => {
      await assert.rejects(
        flow.functionTask(tasks.returnFunction)(),
        /The task's result cannot be sent back from the worker \(structured clone\)/,
      );
      assert.equal(await flow.functionTask(add)(2, 3), 5);
      assert.deepEqual([pool.stats().crashed, pool.stats().retired], [0, 0]);
    });
  });

  it("gives a waiting job to an idle worker rather than leaving it behind a long one", async () => {
    await withPool({ minWorkers: 2 }, async (flow, pool) => {
      const order: string[] = [];
      const later = flow.functionTask(tasks.later);
      // Both workers up first: on a loaded machine a worker's start alone can outlast the long job.
      await Promise.all([later(0, "warm"), later(0, "warm")]);
      assert.equal(pool.stats().workers, 2);
      await Promise.all([
        later(300, "long").then((v) => order.push(String(v))),
        ...[1, 2, 3].map((i) => later(1, `short${i}`).then((v) => order.push(String(v)))),
      ]);
      assert.equal(order.at(-1), "long", order.join(","));
    });
  });

  it("holds few long tasks per worker, so that a task of higher priority sent later overtakes the rest", async () => {
    await withPool({ size: 1 }, async (flow) => {
      const order: string[] = [];
      const later = flow.functionTask(tasks.later);
      const first = runningOf(flow, "later");
      const low = [0, 1, 2, 3, 4].map((i) =>
        later(30, `low${i}`).then((v) => order.push(String(v)))
      );
      await first;
      const high = later.with({ priority: 10 })(1, "high").then((v) => order.push(String(v)));
      await Promise.all([...low, high]);
      // The worker held low0 (running) and low1; the rest waited in the pool, behind "high".
      assert.deepEqual(order, ["low0", "low1", "high", "low2", "low3", "low4"]);
    });
  });

  it("reports busy and idle workers, queued and completed tasks, and timings", async () => {
    await withPool({ size: 1 }, async (flow, pool) => {
      const later = flow.functionTask(tasks.later);
      const started = runningOf(flow, "later");
      const running = later(50, "x");
      const queued = [later(1, "y"), later(1, "z")];
      await started;
      const during = pool.stats();
      assert.equal(during.busy, 1);
      assert.equal(during.queued, 2);
      await Promise.all([running, ...queued]);
      const after = pool.stats();
      assert.deepEqual([after.busy, after.idle, after.queued, after.completed], [0, 1, 0, 3]);
      assert.equal(after.runTime.samples, 3);
      assert.ok(after.runTime.max >= 40, `run time max ${after.runTime.max}`);
      assert.ok(after.waitTime.max >= 40, `wait time max ${after.waitTime.max}`);
    });
  });

  it(
    "fails the task of a worker that runs out of memory (Node: maxMemoryMb)",
    { skip: !isNode },
    async () => {
      await withPool({ size: 1, maxMemoryMb: 32 }, async (flow) => {
        await assert.rejects(flow.functionTask(tasks.eatMemory)(), WorkerCrashError);
        assert.equal(await flow.functionTask(add)(1, 1), 2);
      });
    },
  );
});
