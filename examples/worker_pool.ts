/**
 * A CPU-bound campaign on the worker pool: Monte Carlo estimates of π, run
 * once in-process (one core) and once on a pool of workers (every core),
 * printing both times.
 *
 * Run: `deno run -A examples/worker_pool.ts`, `bun examples/worker_pool.ts`
 * or `node examples/worker_pool.ts`.
 *
 * @module
 */
import { availableParallelism } from "node:os";
import { LocalBackend, WorkflowEngine } from "../mod.ts";
import { WorkerPoolBackend } from "../backends/worker_pool/mod.ts";
import * as tasks from "./worker_pool_tasks.ts";

const TASKS = 16;
const SAMPLES = 4_000_000;

/** Runs the campaign on an engine: the estimate of π and the time it took. */
async function campaign(flow: WorkflowEngine): Promise<{ pi: number; ms: number }> {
  const estimate = flow.functionTask(tasks.monteCarloPi);
  const t0 = performance.now();
  const hits = await Promise.all(
    Array.from({ length: TASKS }, (_, seed) => estimate(SAMPLES, seed + 1)),
  );
  const pi = (4 * hits.reduce((a, b) => a + b, 0)) / (TASKS * SAMPLES);
  return { pi, ms: performance.now() - t0 };
}

// In-process: function tasks share this thread's event loop, one at a time.
const inProcess = await WorkflowEngine.create({ backend: new LocalBackend() });
const local = await campaign(inProcess);
await inProcess.shutdown();

// On the pool: one worker per core, started before the clock starts.
const size = availableParallelism();
const pool = new WorkerPoolBackend({
  modules: [new URL("./worker_pool_tasks.ts", import.meta.url)],
  size,
  minWorkers: size,
});
await using flow = await WorkflowEngine.create({ backend: pool });
const warm = flow.functionTask(tasks.monteCarloPi);
await Promise.all(Array.from({ length: size }, (_, i) => warm(1_000, i)));
const pooled = await campaign(flow);

console.log(`${TASKS} tasks × ${SAMPLES.toLocaleString("en")} samples`);
console.log(`in-process:        π ≈ ${local.pi.toFixed(5)} in ${local.ms.toFixed(0)} ms`);
console.log(`pool of ${size} workers: π ≈ ${pooled.pi.toFixed(5)} in ${pooled.ms.toFixed(0)} ms`);
console.log(`speed-up: ${(local.ms / pooled.ms).toFixed(2)}×`);
const { busy, idle, completed, runTime, waitTime } = pool.stats();
console.log(
  `pool stats: ${busy} busy, ${idle} idle, ${completed} completed, ` +
    `run p50 ${runTime.p50.toFixed(1)} ms, wait p90 ${waitTime.p90.toFixed(1)} ms`,
);
