/**
 * How throughput falls with the size of what a task carries (Parsl falls from 2,000 tasks/s to 271
 * at 100 kB arguments and 32 at 1 MB): a string argument of 0 B to 10 MB, sent to a function that
 * returns its length, and a result of that size from a function given the size, in-process, on
 * the worker pool (2 workers) and through an agent on loopback, beside the floor of each path
 * measured in the same run (in-process: a bare call; pool: `structuredClone`, the copy a
 * postMessage makes; agent: `JSON.stringify` + `JSON.parse`, what the wire costs at least).
 * While the agent runs, this process's RSS (client and agent together) is sampled every 20 ms:
 * its peak above what it was before says whether memory stays bounded as big results stream.
 * Prints tasks/s and MB/s per size, and one JSON line.
 *
 * Run: deno run -A bench/payload.ts | bun bench/payload.ts | node bench/payload.ts  (--quick)
 */
import process from "node:process";
import { cpus } from "node:os";
import { startAgent } from "../agent/mod.ts";
import { RemoteBackend } from "../backends/remote/mod.ts";
import { WorkerPoolBackend } from "../backends/worker_pool/mod.ts";
import { type Backend, WorkflowEngine } from "../mod.ts";
import { make, size } from "./payload_tasks.ts";

const quick = process.argv.includes("--quick");
const SIZES = [0, 1_000, 10_000, 100_000, 1_000_000, 10_000_000];
const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";
const tasksModule = new URL("./payload_tasks.ts", import.meta.url);

/** How many tasks to send: enough for ~8 MB (~100 MB at 10 MB) or 2,000 tasks, whichever is fewer. */
const countFor = (bytes: number) =>
  Math.max(
    bytes >= 10e6 ? (quick ? 4 : 10) : 20,
    Math.min(quick ? 500 : 2_000, Math.floor((quick ? 2e6 : 8e6) / Math.max(bytes, 1))),
  );

/** Tasks per second carrying `payload` as argument, or, with `result`, returning one of its size. */
async function throughput(
  backend: Backend | undefined,
  payload: string,
  n: number,
  result = false,
) {
  const flow = await WorkflowEngine.create(backend ? { backend } : {});
  try {
    const send = flow.functionTask(size);
    const receive = flow.functionTask(make);
    const one = () => result ? receive(payload.length) : send(payload);
    await Promise.all(Array.from({ length: Math.min(n, 20) }, one)); // warm
    const t0 = performance.now();
    await Promise.all(Array.from({ length: n }, one));
    return n / ((performance.now() - t0) / 1000);
  } finally {
    await flow.shutdown();
  }
}

/** Runs `fn` while sampling this process's RSS: its result and the peak above the start, in MB. */
async function sampled<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = process.memoryUsage().rss;
  let peak = start;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  try {
    return [await fn(), (Math.max(peak, process.memoryUsage().rss) - start) / 1e6];
  } finally {
    clearInterval(timer);
  }
}

function floorRate(copy: (p: string) => unknown, payload: string, n: number): number {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) copy(payload);
  return n / ((performance.now() - t0) / 1000);
}

const agent = await startAgent({ modules: { payload: tasksModule }, cores: 2 });
const rows: Record<string, number | string>[] = [];
try {
  console.log(`${runtime}, ${cpus().length} × ${cpus()[0]?.model ?? "?"}`);
  console.log(
    "size | in-process/s | pool/s (floor) | agent args/s (floor) | agent MB/s | " +
      "agent results/s | MB/s | RSS peak +MB (args, results)",
  );
  const remoteBackend = () =>
    new RemoteBackend({ url: agent.url, token: agent.token, modules: { payload: tasksModule } });
  for (const bytes of SIZES) {
    const payload = "x".repeat(bytes);
    const n = countFor(bytes);
    const local = await throughput(undefined, payload, n);
    const pool = await throughput(
      new WorkerPoolBackend({ modules: [tasksModule], size: 2, minWorkers: 2 }),
      payload,
      n,
    );
    const [remote, argsRss] = await sampled(() => throughput(remoteBackend(), payload, n));
    const [results, resultsRss] = await sampled(() =>
      throughput(remoteBackend(), payload, n, true)
    );
    const poolFloor = floorRate((p) => structuredClone({ args: [p] }), payload, n);
    const wireFloor = floorRate((p) => JSON.parse(JSON.stringify({ args: [p] })), payload, n);
    const mb = (rate: number) => (rate * bytes) / 1e6;
    console.log(
      `${String(bytes).padStart(8)} | ${local.toFixed(0).padStart(9)} | ${pool.toFixed(0)} (${
        poolFloor.toFixed(0)
      }) | ${remote.toFixed(0)} (${wireFloor.toFixed(0)}) | ${mb(remote).toFixed(1)} | ${
        results.toFixed(0)
      } | ${mb(results).toFixed(1)} | ${argsRss.toFixed(0)}, ${resultsRss.toFixed(0)}`,
    );
    rows.push({
      bytes,
      tasks: n,
      local,
      pool,
      poolFloor,
      remote,
      results,
      wireFloor,
      argsRssPeakMb: argsRss,
      resultsRssPeakMb: resultsRss,
    });
  }
} finally {
  await agent.close();
}
console.log(JSON.stringify({ runtime, rows }));
