/**
 * Core benchmark: scheduler throughput, dependency-hop latency, fan-out/fan-in,
 * blocks, and memory per live task — each beside a raw-promise baseline measured
 * in the same run, so the ratio says what the engine costs on this machine.
 *
 * Run (each runtime):
 *   deno run -A --v8-flags=--expose-gc bench/core.ts
 *   bun bench/core.ts
 *   node --expose-gc bench/core.ts
 * Add --quick for a smaller run. Prints a table and one JSON line.
 */
import { LocalBackend, NoopBackend, WorkflowEngine } from "../mod.ts";
import { host } from "../src/host/mod.ts";
import process from "node:process";
import { spawn } from "node:child_process";
import { spawnFloor } from "./spawn_floor.ts";

const quick = process.argv.includes("--quick");
const N = quick ? 20_000 : 100_000;
const CHAIN = quick ? 2_000 : 10_000;
const runtime = host.runtime;
const rows: {
  metric: string;
  value: number;
  unit: string;
  baseline?: number;
  ratio?: number;
  /** The ratio to the posix_spawn floor, for commands. */
  floor?: number;
}[] = [];

function gc(): void {
  const g = globalThis as { gc?: () => void; Bun?: { gc(force: boolean): void } };
  if (runtime === "bun") g.Bun!.gc(true);
  else g.gc?.();
}
const heap = () => (gc(), process.memoryUsage().heapUsed);

async function best(times: number, fn: () => Promise<number>): Promise<number> {
  let result = Infinity;
  for (let i = 0; i < times; i++) result = Math.min(result, await fn());
  return result;
}

// ---- local executables: /bin/true through LocalBackend (through the launcher, the default, and
// by a spawn each), beside bare child_process.spawn of this runtime and a C loop of posix_spawn
// (the floor), all four at a time and in the same run. First, while the heap is small: Node forks
// to spawn, and a big heap makes every fork slower.
{
  const PROCS = quick ? 200 : 1000;
  const engine = (launcher: boolean) =>
    best(2, async () => {
      await using flow = await WorkflowEngine.create({
        backend: new LocalBackend({ processes: 4, launcher }),
      });
      const t = flow.executableTask(() => ["/bin/true"]);
      const t0 = performance.now();
      await Promise.all(Array.from({ length: PROCS }, () => t()));
      return performance.now() - t0;
    });
  const launchedMs = await engine(true);
  const spawnedMs = await engine(false);
  const rawMs = await best(2, async () => {
    const t0 = performance.now();
    let started = 0;
    const worker = async () => {
      while (started++ < PROCS) {
        await new Promise((resolve) =>
          spawn("/bin/true", [], { stdio: ["ignore", "pipe", "pipe"] }).on("close", resolve)
        );
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    return performance.now() - t0;
  });
  const floor = spawnFloor(PROCS);
  const raw = PROCS / (rawMs / 1000);
  for (const [how, ms] of [["through the launcher", launchedMs], ["a spawn each", spawnedMs]]) {
    const rate = PROCS / ((ms as number) / 1000);
    rows.push({
      metric: `${PROCS} /bin/true commands, LocalBackend (4 at once), ${how}`,
      value: rate,
      unit: "tasks/s",
      baseline: raw,
      ratio: rate / raw,
      ...(floor ? { floor: rate / floor } : {}),
    });
  }
  if (floor) {
    rows.push({ metric: "  floor: a C loop of posix_spawn (4 at once)", value: floor, unit: "/s" });
  }
}

// ---- independent no-op tasks
async function independent(backend: () => NoopBackend | LocalBackend): Promise<number> {
  await using flow = await WorkflowEngine.create({ backend: backend() });
  const noop = flow.functionTask(function noop(i: number) {
    return i;
  });
  const t0 = performance.now();
  const futures = new Array(N);
  for (let i = 0; i < N; i++) futures[i] = noop(i);
  await Promise.all(futures);
  return performance.now() - t0;
}
async function rawIndependent(): Promise<number> {
  const t0 = performance.now();
  const promises = new Array(N);
  for (let i = 0; i < N; i++) promises[i] = Promise.resolve(i).then((x) => x);
  await Promise.all(promises);
  return performance.now() - t0;
}
const rawMs = await best(3, rawIndependent);
for (
  const [label, make] of [["NoopBackend", () => new NoopBackend()], [
    "LocalBackend",
    () => new LocalBackend(),
  ]] as const
) {
  const ms = await best(3, () => independent(make));
  const rate = N / (ms / 1000);
  rows.push({
    metric: `${N} independent no-op tasks, ${label}`,
    value: rate,
    unit: "tasks/s",
    baseline: N / (rawMs / 1000),
    ratio: rate / (N / (rawMs / 1000)),
  });
}

// ---- dependency chain
async function chain(): Promise<number> {
  await using flow = await WorkflowEngine.create({ backend: new LocalBackend() });
  const inc = flow.functionTask(function inc(n: number) {
    return n + 1;
  });
  const t0 = performance.now();
  let f = inc(0);
  for (let i = 1; i < CHAIN; i++) f = inc(f);
  if ((await f) !== CHAIN) throw new Error("chain result is wrong");
  return performance.now() - t0;
}
async function rawChain(): Promise<number> {
  const t0 = performance.now();
  let p = Promise.resolve(0);
  for (let i = 0; i < CHAIN; i++) p = p.then((n) => n + 1);
  await p;
  return performance.now() - t0;
}
{
  const us = ((await best(3, chain)) * 1000) / CHAIN;
  const rawUs = ((await best(3, rawChain)) * 1000) / CHAIN;
  rows.push({
    metric: `${CHAIN}-task chain, per dependency hop`,
    value: us,
    unit: "µs",
    baseline: rawUs,
    ratio: us / rawUs,
  });
}

// ---- fan-out 10k -> fan-in 1
{
  const ms = await best(3, async () => {
    await using flow = await WorkflowEngine.create({ backend: new LocalBackend() });
    const seed = flow.functionTask(() => 1);
    const times = flow.functionTask((s: number, i: number) => s * i);
    const sum = flow.functionTask((xs: number[]) => xs.reduce((a, b) => a + b, 0));
    const t0 = performance.now();
    const s = seed();
    const parts = Array.from({ length: N / 10 }, (_, i) => times(s, i));
    await sum(parts);
    return performance.now() - t0;
  });
  rows.push({ metric: `fan-out ${N / 10} -> fan-in 1`, value: ms, unit: "ms" });
}

// ---- 1k blocks of 10 tasks
{
  const BLOCKS = quick ? 200 : 1000;
  const ms = await best(3, async () => {
    await using flow = await WorkflowEngine.create({ backend: new LocalBackend() });
    const step = flow.functionTask((n: number) => n + 1);
    const blk = flow.block(async (start: number) => {
      let x = start;
      for (let i = 0; i < 10; i++) x = await step(x);
      return x;
    });
    const t0 = performance.now();
    await Promise.all(Array.from({ length: BLOCKS }, (_, i) => blk(i)));
    return performance.now() - t0;
  });
  rows.push({ metric: `${BLOCKS} blocks of 10 sequential tasks`, value: ms, unit: "ms" });
  rows.push({
    metric: "  = tasks+blocks per second",
    value: (BLOCKS * 11) / (ms / 1000),
    unit: "/s",
  });
}

// ---- memory: bytes per live task (tasks held by an unfinished dependency)
{
  const LIVE = quick ? 20_000 : 100_000;
  await using flow = await WorkflowEngine.create({ backend: new LocalBackend() });
  const gate = Promise.withResolvers<number>();
  const wait = flow.functionTask(() => gate.promise);
  const inc = flow.functionTask((n: number) => n + 1);
  const g = wait();
  await Promise.resolve();
  const before = heap();
  const live = new Array(LIVE);
  for (let i = 0; i < LIVE; i++) live[i] = inc(g);
  const after = heap();
  rows.push({
    metric: `memory per live task (${LIVE} waiting)`,
    value: (after - before) / LIVE,
    unit: "bytes",
  });
  gate.resolve(1);
  await Promise.all(live);
}

// ---- memory: finished tasks are released (1M tasks in waves of 10k)
{
  const TOTAL = quick ? 200_000 : 1_000_000;
  const WAVE = 10_000;
  await using flow = await WorkflowEngine.create({ backend: new LocalBackend() });
  const noop = flow.functionTask((i: number) => i);
  const runWave = async () => {
    const wave = new Array(WAVE);
    for (let i = 0; i < WAVE; i++) wave[i] = noop(i);
    await Promise.all(wave);
  };
  await runWave();
  const first = heap();
  const t0 = performance.now();
  for (let done = WAVE; done < TOTAL; done += WAVE) await runWave();
  const ms = performance.now() - t0;
  const last = heap();
  rows.push({
    metric: `heap growth over ${TOTAL} tasks in waves of ${WAVE}`,
    value: (last - first) / 1024 / 1024,
    unit: "MiB",
  });
  rows.push({
    metric: `  = throughput of those waves`,
    value: (TOTAL - WAVE) / (ms / 1000),
    unit: "tasks/s",
  });
  if (flow.stats().done !== TOTAL) throw new Error("not every task finished");
}

const fmt = (v: number) => (v >= 100 ? Math.round(v).toLocaleString("en-US") : v.toFixed(2));
console.log(`\nasyncflow core benchmark — ${runtime} ${quick ? "(quick)" : ""}`);
console.log(
  "| metric | value | baseline (raw promises; for commands, bare spawn) | ratio | to the floor |",
);
console.log("|---|---|---|---|---|");
for (const r of rows) {
  const base = r.baseline === undefined ? "" : `${fmt(r.baseline)} ${r.unit}`;
  const ratio = r.ratio === undefined ? "" : `${r.ratio.toFixed(2)}×`;
  const floor = r.floor === undefined ? "" : `${r.floor.toFixed(2)}×`;
  console.log(`| ${r.metric} | ${fmt(r.value)} ${r.unit} | ${base} | ${ratio} | ${floor} |`);
}
console.log(JSON.stringify({ bench: "core", runtime, quick, rows }));
