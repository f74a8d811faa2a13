/**
 * How throughput falls with the size of what a task carries (Parsl falls from 2,000 tasks/s to 271
 * at 100 kB arguments and 32 at 1 MB): a string argument of 0 B to 10 MB, sent to a function that
 * returns its length, and a result of that size from a function given the size, in-process, on
 * the worker pool (2 workers) and through an agent on loopback, beside the floor of each path
 * measured in the same run (in-process: a bare call; pool: `structuredClone`, the copy a
 * postMessage makes; agent: `JSON.stringify` + `JSON.parse`, what the wire costs at least).
 * While the agent runs, this process's RSS (client and agent together) is sampled every 20 ms:
 * its peak above what it was before says whether memory stays bounded as big results stream.
 * Then binary data (`payload_binary.ts`, 1 kB to 10 MB): `Uint8Array` arguments and results on
 * the pool, copied and moved with `transfer()`, beside `structuredClone` of the same bytes; and
 * round trips through the agent, base64 in JSON against a declared input file staged and an
 * output file fetched back, beside a bare command through the same agent, RSS sampled for each.
 * Prints tasks/s and MB/s per size, and one JSON line.
 *
 * Run: deno run -A bench/payload.ts | bun bench/payload.ts | node bench/payload.ts  (--quick)
 */
import process from "node:process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { startAgent } from "../agent/mod.ts";
import { RemoteBackend } from "../backends/remote/mod.ts";
import { WorkerPoolBackend } from "../backends/worker_pool/mod.ts";
import type { Backend } from "../mod.ts";
import { agentBinary, poolBinary, rate, sampled } from "./payload_binary.ts";
import { make, size } from "./payload_tasks.ts";

const quick = process.argv.includes("--quick");
const started = performance.now();
const elapsed = () => ((performance.now() - started) / 1000).toFixed(0);
const SIZES = [0, 1_000, 10_000, 100_000, 1_000_000, 10_000_000];
const BINARY_SIZES = [1_000, 100_000, 1_000_000, 10_000_000];
const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";
const tasksModule = new URL("./payload_tasks.ts", import.meta.url);

/** How many tasks to send: enough for ~8 MB (~100 MB at 10 MB) or 2,000 tasks, whichever is fewer. */
const countFor = (bytes: number) =>
  Math.max(
    bytes >= 10e6 ? (quick ? 4 : 10) : 20,
    Math.min(quick ? 500 : 2_000, Math.floor((quick ? 2e6 : 8e6) / Math.max(bytes, 1))),
  );

/**
 * Binary tasks on the pool: more than `countFor` gives from 100 kB on, since moving and copying
 * differ by less than the noise of 20 tasks.
 */
const poolCountFor = (bytes: number) =>
  bytes >= 10e6 ? (quick ? 10 : 40) : bytes >= 1e6 ? (quick ? 100 : 400) : quick ? 200 : 1_000;

/**
 * Round trips through the agent for the binary cases: each pays a command and several requests
 * when staged, so fewer than `countFor` gives.
 */
const agentCountFor = (bytes: number) =>
  bytes >= 10e6 ? (quick ? 2 : 8) : bytes >= 1e6 ? (quick ? 4 : 20) : quick ? 16 : 100;

/** Tasks per second carrying `payload` as argument, or, with `result`, returning one of its size. */
function throughput(backend: Backend | undefined, payload: string, n: number, result = false) {
  return rate(backend, (flow) => {
    const send = flow.functionTask(size);
    const receive = flow.functionTask(make);
    return async () => await (result ? receive(payload.length) : send(payload));
  }, n);
}

function floorRate(copy: (p: string) => unknown, payload: string, n: number): number {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) copy(payload);
  return n / ((performance.now() - t0) / 1000);
}

// The agent's journal and store hold what the tasks carried: hundreds of MB, removed at the end.
const agentDir = mkdtempSync(join(tmpdir(), "asyncflow-bench-payload-agent-"));
const agent = await startAgent({ modules: { payload: tasksModule }, cores: 2, dir: agentDir });
const rows: Record<string, number | string>[] = [];
const poolRows: Record<string, number>[] = [];
const agentRows: Record<string, number>[] = [];
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

  console.log(`(${elapsed()} s)`);
  console.log(
    "\nbinary (Uint8Array), pool of 2: size | args copied/s | moved/s | results copied/s | " +
      "moved/s | MB/s (args moved, results moved) | structuredClone floor/s | " +
      "RSS peak +MB (results copied, moved)",
  );
  for (const bytes of BINARY_SIZES) {
    const n = poolCountFor(bytes);
    const r = await poolBinary([tasksModule], bytes, n);
    const mb = (perSecond: number) => ((perSecond * bytes) / 1e6).toFixed(1);
    console.log(
      `${String(bytes).padStart(8)} | ${r.argsCopied.toFixed(0)} | ${r.argsMoved.toFixed(0)} | ${
        r.resultsCopied.toFixed(0)
      } | ${r.resultsMoved.toFixed(0)} | ${mb(r.argsMoved)}, ${mb(r.resultsMoved)} | ${
        r.floor.toFixed(0)
      } | ${r.copiedRss.toFixed(0)}, ${r.movedRss.toFixed(0)}`,
    );
    poolRows.push({ bytes, tasks: n, ...r });
  }

  console.log(`(${elapsed()} s)`);
  console.log(
    "\nbinary through the agent, round trips: size | base64 in JSON/s | MB/s | " +
      "staged files/s | MB/s | bare command/s | RSS peak +MB (JSON, files)",
  );
  const at = { url: agent.url, token: agent.token, modules: { payload: tasksModule } };
  for (const bytes of BINARY_SIZES) {
    const n = agentCountFor(bytes);
    const r = await agentBinary(at, bytes, n);
    const mb = (perSecond: number) => ((perSecond * bytes) / 1e6).toFixed(1);
    console.log(
      `${String(bytes).padStart(8)} | ${r.json.toFixed(1)} | ${mb(r.json)} | ${
        r.files.toFixed(1)
      } | ${mb(r.files)} | ${r.command.toFixed(0)} | ${r.jsonRss.toFixed(0)}, ${
        r.filesRss.toFixed(0)
      }`,
    );
    agentRows.push({ bytes, tasks: n, ...r });
  }
} finally {
  await agent.close();
  rmSync(agentDir, { recursive: true, force: true });
}
const seconds = (performance.now() - started) / 1000;
console.log(`took ${seconds.toFixed(0)} s, load average ${loadavg().map((l) => l.toFixed(1))}`);
console.log(JSON.stringify({ runtime, seconds, rows, poolRows, agentRows }));
