/**
 * Worker pool benchmark: no-op task throughput and serial round-trip latency
 * through the engine and the pool (2 workers), piscina on Node as the
 * baseline in the same run, and a CPU-bound workload at 1 and 2 workers.
 * Prints a table (runtime, metric, value) and one line of JSON.
 *
 * Run: `deno run -A bench/worker_pool.ts`, `bun bench/worker_pool.ts`, `node bench/worker_pool.ts`.
 *
 * @module
 */
import { WorkflowEngine } from "../mod.ts";
import { WorkerPoolBackend } from "../backends/worker_pool/mod.ts";
import { burn, noop } from "./worker_pool_tasks.ts";

const g = globalThis as Record<string, unknown>;
const runtime = typeof g.Deno === "object" ? "deno" : typeof g.Bun === "object" ? "bun" : "node";
const TASKS = new URL("./worker_pool_tasks.ts", import.meta.url);
const NOOPS = 50_000;
const SERIAL = 3_000;
const CPU_TASKS = 16;
const CPU_TASK_MS = 40;

interface Row {
  runtime: string;
  metric: string;
  value: number;
  unit: string;
}
const rows: Row[] = [];
const record = (metric: string, value: number, unit: string) =>
  rows.push({ runtime, metric, value, unit });

/** Runs `body` on an engine with a warm pool of `size` workers. */
async function withPool<T>(size: number, body: (flow: WorkflowEngine) => Promise<T>): Promise<T> {
  const pool = new WorkerPoolBackend({ modules: [TASKS], size, minWorkers: size });
  const flow = await WorkflowEngine.create({ backend: pool });
  try {
    const warm = flow.functionTask(noop);
    await Promise.all(Array.from({ length: 2_000 }, (_, i) => warm(i)));
    return await body(flow);
  } finally {
    await flow.shutdown();
  }
}

async function throughput(run: (i: number) => Promise<unknown>, n: number): Promise<number> {
  const t0 = performance.now();
  await Promise.all(Array.from({ length: n }, (_, i) => run(i)));
  return n / ((performance.now() - t0) / 1000);
}

async function roundTrip(run: (i: number) => Promise<unknown>, n: number): Promise<number> {
  for (let i = 0; i < 200; i++) await run(i);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await run(i);
  return ((performance.now() - t0) * 1000) / n;
}

await withPool(2, async (flow) => {
  const task = flow.functionTask(noop);
  record(
    "no-op tasks/s (2 workers)",
    Math.round(await throughput((i) => task(i), NOOPS)),
    "tasks/s",
  );
  record("serial round trip (2 workers)", await roundTrip((i) => task(i), SERIAL), "µs");
});

if (runtime === "node") {
  const { Piscina } = await import("piscina");
  const pool = new Piscina({
    filename: new URL("./worker_pool_piscina.mjs", import.meta.url).href,
    minThreads: 2,
    maxThreads: 2,
  });
  await Promise.all(Array.from({ length: 2_000 }, (_, i) => pool.run(i)));
  record(
    "piscina no-op tasks/s (2 threads)",
    Math.round(await throughput((i) => pool.run(i), NOOPS)),
    "tasks/s",
  );
  record("piscina serial round trip", await roundTrip((i) => pool.run(i), SERIAL), "µs");
  await pool.destroy();
}

/** Loop turns of `burn` that take about `ms` on this runtime. */
function calibrate(ms: number): number {
  burn(1e6); // let the JIT settle
  let n = 1e6;
  for (;;) {
    const t0 = performance.now();
    burn(n);
    const took = performance.now() - t0;
    if (took > 10) return Math.round((n * ms) / took);
    n *= 4;
  }
}

const cpuWork = calibrate(CPU_TASK_MS);
const cpuSeconds: number[] = [];
for (const size of [1, 2]) {
  await withPool(size, async (flow) => {
    const task = flow.functionTask(burn);
    const t0 = performance.now();
    await Promise.all(Array.from({ length: CPU_TASKS }, () => task(cpuWork)));
    const seconds = (performance.now() - t0) / 1000;
    cpuSeconds.push(seconds);
    record(
      `CPU-bound ${CPU_TASKS} × ${CPU_TASK_MS} ms, ${size} worker${size > 1 ? "s" : ""}`,
      seconds * 1000,
      "ms",
    );
  });
}
record("CPU-bound speed-up 1 → 2 workers", cpuSeconds[0]! / cpuSeconds[1]!, "×");

const width = Math.max(...rows.map((r) => r.metric.length));
console.log(`${"runtime".padEnd(8)}${"metric".padEnd(width + 2)}value`);
for (const r of rows) {
  const value = Number.isInteger(r.value) ? String(r.value) : r.value.toFixed(r.value < 10 ? 2 : 1);
  console.log(`${r.runtime.padEnd(8)}${r.metric.padEnd(width + 2)}${value} ${r.unit}`);
}
console.log(JSON.stringify({ bench: "worker_pool", runtime, results: rows }));
