/**
 * A workflow module for `asyncflow run`: sixteen Monte Carlo estimates of π,
 * whose function lives in a task module of its own, the layout
 * docs/worker_pool.md recommends. On the worker pool the command must know
 * that module, which `--module` names:
 *
 * ```sh
 * asyncflow run examples/estimate_pi.ts --backend workers --module examples/worker_pool_tasks.ts
 * ```
 *
 * @module
 */
import type { WorkflowEngine } from "@asyncflow/asyncflow";
import { monteCarloPi } from "./worker_pool_tasks.ts";

const TASKS = 16;
const SAMPLES = 1_000_000;

/** Estimates π from `TASKS` independent batches of darts and prints it. */
export default async function estimatePi(flow: WorkflowEngine): Promise<void> {
  const estimate = flow.functionTask(monteCarloPi);
  const hits = await Promise.all(
    Array.from({ length: TASKS }, (_, seed) => estimate(SAMPLES, seed + 1)),
  );
  const pi = (4 * hits.reduce((a, b) => a + b, 0)) / (TASKS * SAMPLES);
  console.log(`π ≈ ${pi.toFixed(4)} from ${TASKS} × ${SAMPLES.toLocaleString("en")} darts`);
}
