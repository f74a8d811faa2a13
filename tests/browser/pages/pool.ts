/**
 * The worker pool in a page: module Workers, cancel by terminate, a crash, and the claim mode
 * the page allows (shared memory when cross-origin isolated, messages otherwise).
 */
import { WorkflowEngine } from "@asyncflow/asyncflow";
import { WorkerPoolBackend } from "@asyncflow/asyncflow/worker_pool";
import { expose, rejection, step } from "./_expose.ts";

type Tasks = typeof import("./pool_tasks.ts");

expose(async () => {
  const base = new URL(".", location.href);
  const tasksUrl = new URL("pool_tasks.js", base);
  // Loaded by URL, not bundled into the page: the pool knows its functions by identity.
  const tasks: Tasks = await import(tasksUrl.href);
  const pool = new WorkerPoolBackend({
    modules: [tasksUrl],
    size: 2,
    workerScript: new URL("worker.js", base),
  });
  const flow = await WorkflowEngine.create({ backend: pool });
  const out: Record<string, unknown> = {
    mode: pool.mode,
    isolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated,
  };
  try {
    const square = flow.functionTask(tasks.square);
    step("squares");
    out.squares = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => square(n)));
    step("where");
    out.where = await flow.functionTask(tasks.where)();

    const channel = `spin-${Math.random()}`;
    const started = new Promise((resolve) => {
      new BroadcastChannel(channel).onmessage = resolve;
    });
    const spinning = flow.functionTask(tasks.spin)(channel);
    step("spin: waiting for it to start");
    await started;
    spinning.cancel("enough");
    step("spin: cancelled, waiting for its rejection");
    out.cancelled = await rejection(() => spinning);
    step("crash");
    out.crash = await rejection(() => flow.functionTask(tasks.crashLater)());
    step("after the crash");
    out.after = await square(9);
    const { retired, crashed, completed } = pool.stats();
    out.stats = { retired, crashed, completed };
  } finally {
    step("shutdown");
    await flow.shutdown();
  }
  return out;
});
