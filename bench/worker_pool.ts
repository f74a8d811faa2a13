/**
 * Worker pool benchmark. With 2 workers: no-op task throughput and serial
 * round trip through the engine and the pool, beside, in the same run, the
 * pool driven without the engine (what the engine's hand-off costs), the
 * floor (a bare `postMessage` echo of this runtime) and, on Node, piscina.
 * Then a CPU-bound workload on 1 and 2 workers.
 *
 * Every measurement is repeated (`--runs N`, default 5), the subjects taking
 * turns within each run so that they share the machine's load; the report
 * gives the median, the spread (min–max), the median of the per-run ratios
 * to the floor and the peer, the machine and its load averages. A run's
 * round trip is the median of its 2,000 calls. Prints a table and one line
 * of JSON.
 *
 *     deno run -A bench/worker_pool.ts | bun bench/worker_pool.ts | node bench/worker_pool.ts
 *
 * @module
 */
import os from "node:os";
import process from "node:process";
import type { BackendContext } from "../mod.ts";
import { WorkflowEngine } from "../mod.ts";
import { WorkerPoolBackend } from "../backends/worker_pool/mod.ts";
import { burn, noop } from "./worker_pool_tasks.ts";
import { echoFloor, piscina, type Subject } from "./worker_pool_peers.ts";
import { runtime as runtimeOf } from "../src/host/runtime.ts";

const g = globalThis as Record<string, unknown>;
const runtime = runtimeOf;
const version = runtime === "deno"
  ? (g.Deno as { version: { deno: string } }).version.deno
  : runtime === "bun"
  ? (g.Bun as { version: string }).version
  : process.versions.node;
const runsAt = process.argv.indexOf("--runs");
const RUNS = runsAt > 0 ? Number(process.argv[runsAt + 1]) : 5;
const TASKS = new URL("./worker_pool_tasks.ts", import.meta.url);
const NOOPS = 20_000;
const SERIAL = 2_000;
const CPU_TASKS = 16;
const CPU_TASK_MS = 40;

/** The pool through the engine, warm, with `size` workers; `task` runs `fn`. */
async function enginePool(size: number, fn: (n: number) => number): Promise<Subject> {
  const pool = new WorkerPoolBackend({ modules: [TASKS], size, minWorkers: size });
  const flow = await WorkflowEngine.create({ backend: pool });
  const task = flow.functionTask(fn);
  return { name: "pool, through the engine", run: (i) => task(i), close: () => flow.shutdown() };
}

/** The pool driven directly through the backend contract: what it costs without the engine. */
async function directPool(): Promise<Subject> {
  const pool = new WorkerPoolBackend({ modules: [TASKS], size: 2, minWorkers: 2 });
  const waiting = new Map<string, { resolve(v: unknown): void; reject(e: unknown): void }>();
  const settle = (id: string, ok: boolean, value: unknown) => {
    const w = waiting.get(id)!;
    waiting.delete(id);
    if (ok) w.resolve(value);
    else w.reject(value);
  };
  const ctx: BackendContext = {
    engineUid: "bench",
    workDir: os.tmpdir(),
    running() {},
    done: (id, value) => settle(id, true, value),
    failed: (id, error) => settle(id, false, error),
    cancelled: (id, reason) => settle(id, false, reason),
  };
  await pool.attach(ctx);
  let next = 0;
  const run = (i: number) =>
    new Promise<unknown>((resolve, reject) => {
      const id = `t${++next}`;
      waiting.set(id, { resolve, reject });
      pool.submit([{
        id,
        uid: id,
        name: "noop",
        kind: "function",
        fn: noop,
        args: [i],
        priority: 0,
        attempt: 1,
        workflowId: "bench",
      }]);
    });
  return { name: "pool, without the engine", run, close: () => pool.shutdown() };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Tasks per second, and the CPU time per task of all the process's threads (µs). */
async function throughput(s: Subject, n: number): Promise<[rate: number, cpuUs: number]> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: n }, (_, i) => s.run(i)));
  const rate = n / ((performance.now() - t0) / 1000);
  const c = process.cpuUsage(c0);
  return [rate, (c.user + c.system) / n];
}

/**
 * The median and the mean of `n` round trips one after the other (µs). The
 * median is the figure to compare: a preempted call costs milliseconds on a
 * loaded machine and dominates the mean.
 */
async function roundTrip(s: Subject, n: number): Promise<[median: number, mean: number]> {
  const us: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await s.run(i);
    us.push((performance.now() - t0) * 1000);
  }
  return [median(us), us.reduce((a, b) => a + b, 0) / n];
}

/** Loop turns of `burn` that take about `ms` on this runtime. */
function calibrate(ms: number): number {
  burn(1e6); // let the JIT settle
  for (let n = 1e6;; n *= 4) {
    const t0 = performance.now();
    burn(n);
    const took = performance.now() - t0;
    if (took > 10) return Math.round((n * ms) / took);
  }
}

const load = () => os.loadavg().map((l) => l.toFixed(2)).join(" ");
const machine = {
  runtime: `${runtime} ${version}`,
  cores: os.cpus().length,
  cpu: os.cpus()[0]?.model ?? "unknown",
  date: new Date().toISOString().slice(0, 16) + "Z",
  loadBefore: load(),
  loadAfter: "",
  runs: RUNS,
};

// ---- no-op tasks: every subject, warm, taking turns within each run.
const subjects: Subject[] = [await enginePool(2, noop), await directPool(), await echoFloor()];
if (runtime === "node") subjects.push(await piscina());
const tp = new Map<string, number[]>(subjects.map((s) => [s.name, []]));
const rt = new Map<string, number[]>(subjects.map((s) => [s.name, []]));
const rtMean = new Map<string, number[]>(subjects.map((s) => [s.name, []]));
const cpuUs = new Map<string, number[]>(subjects.map((s) => [s.name, []]));
for (const s of subjects) await throughput(s, 2_000); // warm-up
for (let run = 0; run < RUNS; run++) {
  for (const s of subjects) {
    const [rate, us] = await throughput(s, NOOPS);
    tp.get(s.name)!.push(rate);
    cpuUs.get(s.name)!.push(us);
  }
  for (const s of subjects) {
    const [mid, mean] = await roundTrip(s, SERIAL);
    rt.get(s.name)!.push(mid);
    rtMean.get(s.name)!.push(mean);
  }
}
for (const s of subjects) await s.close();

// ---- CPU-bound: 16 tasks of ~40 ms on 1 and then 2 workers, per run.
const work = calibrate(CPU_TASK_MS);
const cpu: number[][] = [[], []];
for (let run = 0; run < RUNS; run++) {
  for (const size of [1, 2]) {
    const pool = await enginePool(size, burn);
    await Promise.all([pool.run(1), pool.run(1)]); // both workers started
    const t0 = performance.now();
    await Promise.all(Array.from({ length: CPU_TASKS }, () => pool.run(work)));
    cpu[size - 1]!.push(performance.now() - t0);
    await pool.close();
  }
}
machine.loadAfter = load();

// ---- report
const ratios = (a: number[], b: number[]) => a.map((x, i) => x / b[i]!);
interface Row {
  metric: string;
  unit: string;
  median: number;
  min: number;
  max: number;
}
const rows: Row[] = [];
const record = (metric: string, unit: string, xs: number[]) =>
  rows.push({ metric, unit, median: median(xs), min: Math.min(...xs), max: Math.max(...xs) });

const [engine, direct, floor, peer] = subjects.map((s) => s.name) as [
  string,
  string,
  string,
  string,
];
for (const name of tp.keys()) record(`no-op tasks/s, 2 workers: ${name}`, "tasks/s", tp.get(name)!);
record("  pool through the engine / floor", "×", ratios(tp.get(engine)!, tp.get(floor)!));
if (tp.has(peer)) {
  record("  pool through the engine / piscina", "×", ratios(tp.get(engine)!, tp.get(peer)!));
}
const costUs = (a: number[], b: number[]) => a.map((x, i) => 1e6 / x - 1e6 / b[i]!);
record(
  "  engine hand-off per task (1/engine − 1/direct)",
  "µs",
  costUs(tp.get(engine)!, tp.get(direct)!),
);
for (const name of cpuUs.keys()) record(`CPU time per no-op task: ${name}`, "µs", cpuUs.get(name)!);
for (const name of rt.keys()) {
  record(`serial round trip (median call): ${name}`, "µs", rt.get(name)!);
}
record(
  "  pool through the engine − floor",
  "µs",
  rt.get(engine)!.map((x, i) => x - rt.get(floor)![i]!),
);
if (rt.has(peer)) {
  record(
    "  pool through the engine − piscina",
    "µs",
    rt.get(engine)!.map((x, i) => x - rt.get(peer)![i]!),
  );
}
for (const name of rtMean.keys()) {
  record(`serial round trip (mean call): ${name}`, "µs", rtMean.get(name)!);
}
record(`CPU-bound ${CPU_TASKS} × ${CPU_TASK_MS} ms, 1 worker`, "ms", cpu[0]!);
record(`CPU-bound ${CPU_TASKS} × ${CPU_TASK_MS} ms, 2 workers`, "ms", cpu[1]!);
record("  speed-up 1 → 2 workers", "×", ratios(cpu[0]!, cpu[1]!));

const fmt = (x: number) =>
  Math.abs(x) >= 1000 ? Math.round(x).toLocaleString("en-US") : x.toFixed(Math.abs(x) < 10 ? 2 : 1);
console.log(
  `worker pool benchmark: ${machine.runtime}, ${machine.cores} cores (${machine.cpu}), ${machine.date}`,
);
console.log(
  `load averages (1, 5, 15 min): ${machine.loadBefore} before, ${machine.loadAfter} after; ` +
    `${RUNS} runs, median (min–max)`,
);
const width = Math.max(...rows.map((r) => r.metric.length)) + 2;
for (const r of rows) {
  console.log(
    `${r.metric.padEnd(width)}${fmt(r.median).padStart(9)} ${r.unit.padEnd(8)}(${fmt(r.min)}–${
      fmt(r.max)
    })`,
  );
}
console.log(JSON.stringify({ bench: "worker_pool", machine, results: rows }));
