/**
 * What measuring function tasks on the worker pool costs (`WorkerPoolBackend({ measureUsage })`,
 * on in a recorded run): no-op tasks on 2 workers through the engine, with and without it, in
 * alternating rounds, in one process. No-op tasks are the costliest case: the measurement (two
 * clock reads and two `process.threadCpuUsage()` per task) is all that differs.
 *
 * Run (each runtime): `deno run -A bench/pool_usage.ts`, `bun bench/pool_usage.ts`,
 * `node bench/pool_usage.ts`. Prints the median and range per round, in tasks/s.
 */
import process from "node:process";
import { WorkflowEngine } from "../mod.ts";
import { WorkerPoolBackend } from "../backends/worker_pool/mod.ts";
import { noop } from "./worker_pool_tasks.ts";
import { median, spread } from "./stats.ts";

const TASKS = new URL("./worker_pool_tasks.ts", import.meta.url);
const N = 20_000;
const ROUNDS = 9;

async function round(measureUsage: boolean): Promise<number> {
  const pool = new WorkerPoolBackend({ modules: [TASKS], size: 2, minWorkers: 2, measureUsage });
  await using flow = await WorkflowEngine.create({ backend: pool });
  const task = flow.functionTask(noop);
  await Promise.all(Array.from({ length: 200 }, (_, i) => task(i))); // the workers are warm
  const start = performance.now();
  await Promise.all(Array.from({ length: N }, (_, i) => task(i)));
  return N / ((performance.now() - start) / 1000);
}

const runs: Record<"on" | "off", number[]> = { on: [], off: [] };
const ratios: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const got = { on: 0, off: 0 };
  // Alternating which goes first, so neither always runs on the other's leftovers.
  for (const on of r % 2 === 0 ? [false, true] : [true, false]) {
    got[on ? "on" : "off"] = await round(on);
  }
  runs.on.push(got.on);
  runs.off.push(got.off);
  ratios.push(got.on / got.off);
}
console.log(`${process.argv0}: ${N} no-op tasks on 2 workers, ${ROUNDS} rounds`);
for (const name of ["off", "on"] as const) {
  console.log(
    `${name.padEnd(4)} median ${median(runs[name]).toFixed(0)} tasks/s (${spread(runs[name], 0)})`,
  );
}
console.log(`on/off median ${median(ratios).toFixed(3)} (${spread(ratios, 3)})`);
