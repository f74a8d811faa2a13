/**
 * Short commands (`/bin/true`) per second across the nodes of a Slurm allocation, launched four
 * ways in the same job, interleaved round by round: by the node executors (one per node, started
 * once; through their launcher on Node and Deno), by executors that spawn each command, as one
 * `srun` step per command (what the agent did before), and — the floor — forked on
 * the batch node itself (the most one node's forking gives). Every core of the allocation is kept
 * busy: one command per core at a time, placed by the agent's scheduler.
 *
 * And no-op function tasks per second, in the same rounds: on the Workers of every node's
 * executor (one call per core of the allocation at a time), on the first node's executor alone
 * (one per core of that node), and on a worker pool in this process, the batch node — the agent's
 * node, where function tasks ran before (one per core of that node).
 *
 *     SLURM_CONF=/var/lib/asyncflow-multinode/slurm.conf deno run -A bench/hpc.ts [--nodes 3]
 *     (bun bench/hpc.ts, node bench/hpc.ts; --rounds N, --quick)
 *
 * Run outside a job, it submits itself with sbatch (whole nodes), waits and prints the job's
 * output; inside a job (SLURM_JOB_ID set), it measures.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import type { BackendContext } from "../src/backend.ts";
import { WorkerPoolBackend } from "../backends/worker_pool/mod.ts";
import { NodeExecutors } from "../agent/executor/node_executors.ts";
import { allocationFromEnv } from "../agent/placement/allocation.ts";
import { launchCommand } from "../agent/placement/launch.ts";
import { SlotScheduler } from "../agent/placement/scheduler.ts";
import { host, type RunningProcess } from "../src/host/mod.ts";
import { noop } from "./worker_pool_tasks.ts";

const { values } = parseArgs({
  options: {
    nodes: { type: "string", default: "3" },
    rounds: { type: "string", default: "5" },
    quick: { type: "boolean" },
  },
});
const rounds = values.quick ? 2 : Number(values.rounds);
/** The task module of the no-op function, and its export. */
const TASKS = new URL("./worker_pool_tasks.ts", import.meta.url).href;
const NOOP = { module: "bench", export: "noop" };

if (process.env.SLURM_JOB_ID === undefined) await submitSelf();
else await measure();

async function measure(): Promise<void> {
  const allocation = allocationFromEnv(process.env);
  if (!allocation) throw new Error("not in a Slurm allocation (no SLURM_JOB_NODELIST)");
  const cores = allocation.nodes.reduce((n, node) => n + node.cores, 0);
  const nodes = allocation.nodes.map((n) => n.name);
  const coresOf = new Map(allocation.nodes.map((n) => [n.name, n.cores]));
  const t0 = performance.now();
  const executors = await NodeExecutors.start(nodes, {
    functions: { modules: new Map([["bench", TASKS]]), workers: (n) => coresOf.get(n)! },
  });
  const startMs = performance.now() - t0;
  // The same executors with a spawn of the runtime per command instead of their launcher.
  const spawning = await NodeExecutors.start(nodes, { launcher: false });
  const MB = 1 << 20;
  const many = values.quick ? 300 : 1500;
  const few = values.quick ? 30 : 120; // srun is slow: fewer, for a round of similar length
  const calls = values.quick ? 1000 : 5000;
  const batchNode = allocation.nodes[0]!;
  const batchOnly = () => new SlotScheduler({ source: "flags", nodes: [batchNode] });
  const pool = await poolCalls(batchNode.cores);
  const noopTask = { id: "noop", kind: "function" as const, fn: NOOP, args: [1] };
  const onExecutor = (s: SlotScheduler) =>
    rate(s, async (p) => {
      const o = await executors.call(p, noopTask)!.exited;
      if (!o.ok) throw new Error(`noop failed: ${o.error.message}`);
    }, calls);
  const ways: Record<string, () => Promise<number>> = {
    executors: () =>
      rate(
        new SlotScheduler(allocation),
        (p) => exited(executors.launch(p, ["/bin/true"], undefined, undefined, MB)!),
        many,
      ),
    "executors, a spawn each": () =>
      rate(
        new SlotScheduler(allocation),
        (p) => exited(spawning.launch(p, ["/bin/true"], undefined, undefined, MB)!),
        many,
      ),
    "srun per command": () =>
      rate(
        new SlotScheduler(allocation),
        (p) => exited(host.spawn({ command: launchCommand("srun", p, ["/bin/true"]).argv })),
        few,
      ),
    floor: () => rate(batchOnly(), () => exited(host.spawn({ command: ["/bin/true"] })), many),
    "functions on every node": () => onExecutor(new SlotScheduler(allocation)),
    "functions on the first node's executor": () => onExecutor(batchOnly()),
    "functions on the agent's pool": () => rate(batchOnly(), () => pool.call(), calls),
  };
  const results: Record<string, number[]> = Object.fromEntries(
    Object.keys(ways).map((way) => [way, []]),
  );
  for (let r = 0; r < rounds; r++) {
    // Turn the order round, so that no way always runs first.
    const names = Object.keys(ways);
    const order = [...names.slice(r % names.length), ...names.slice(0, r % names.length)];
    for (const way of order) results[way]!.push(await ways[way]!());
  }
  await pool.close();
  await executors.close();
  await spawning.close();
  console.log(
    `${host.runtime}, ${nodes.length} nodes (${nodes.join(",")}), ${cores} cores, one /bin/true ` +
      `per core at a time, ${rounds} rounds; executors started in ${startMs.toFixed(0)} ms`,
  );
  for (const [way, rates] of Object.entries(results)) {
    const label = way === "floor"
      ? `fork on ${nodes[0]} alone (floor, ${allocation.nodes[0]!.cores} cores)`
      : way;
    console.log(`${label.padEnd(42)} ${summary(rates)}`);
  }
  const ratio = (a: string, b: string) => results[a]!.map((x, i) => x / results[b]![i]!);
  console.log(
    `${"executors / srun, per round".padEnd(42)} ${
      summary(ratio("executors", "srun per command"), "x")
    }`,
  );
  console.log(
    `${"executors / floor, per round".padEnd(42)} ${summary(ratio("executors", "floor"), "x")}`,
  );
  const launched = ratio("executors", "executors, a spawn each");
  console.log(`${"executors: launcher / a spawn each".padEnd(42)} ${summary(launched, "x")}`);
  const spread = ratio("functions on every node", "functions on the agent's pool");
  console.log(`${"functions: every node / agent's pool".padEnd(42)} ${summary(spread, "x")}`);
  const link = ratio("functions on the first node's executor", "functions on the agent's pool");
  console.log(`${"functions: first executor / agent's pool".padEnd(42)} ${summary(link, "x")}`);
}

/** Waits for a command and checks it succeeded. */
async function exited(p: RunningProcess): Promise<void> {
  const outcome = await p.exited;
  if (outcome.exitCode !== 0) throw new Error(`/bin/true ended with ${outcome.exitCode}`);
}

/**
 * Calls of the no-op function on a worker pool of `size` Workers in this process: where the
 * agent ran function tasks before they could run on the nodes.
 */
async function poolCalls(size: number): Promise<{ call(): Promise<void>; close(): Promise<void> }> {
  const waiting = new Map<string, PromiseWithResolvers<void>>();
  const pool = new WorkerPoolBackend({ modules: [TASKS], size, name: "agent-functions" });
  const settle = (id: string, error?: unknown) => {
    const w = waiting.get(id);
    waiting.delete(id);
    if (error === undefined) w?.resolve();
    else w?.reject(error);
  };
  const ctx: BackendContext = {
    engineUid: "bench",
    workDir: tmpdir(),
    running: () => {},
    done: (id) => settle(id),
    failed: (id, error) => settle(id, error),
    cancelled: (id, reason) => settle(id, reason),
  };
  await pool.attach(ctx);
  let n = 0;
  return {
    call() {
      const id = String(++n);
      const w = Promise.withResolvers<void>();
      waiting.set(id, w);
      pool.submit([{
        ...{ id, uid: id, name: "noop", kind: "function", fn: noop, args: [1] },
        ...{ priority: 0, attempt: 1, workflowId: "bench" },
      }]);
      return w.promise;
    },
    close: () => pool.shutdown(),
  };
}

/** Tasks per second: `count` tasks, as many at once as the scheduler has cores. */
async function rate(
  slots: SlotScheduler,
  start: (p: NonNullable<ReturnType<SlotScheduler["place"]>>) => Promise<void>,
  count: number,
): Promise<number> {
  let started = 0;
  const t0 = performance.now();
  const lane = async () => {
    const p = slots.place({ ranks: 1, coresPerRank: 1, gpusPerRank: 0 });
    if (!p) return;
    while (started < count) {
      started++;
      await start(p);
    }
    slots.release(p);
  };
  await Promise.all(Array.from({ length: slots.free.cores }, lane));
  return count / ((performance.now() - t0) / 1000);
}

function summary(xs: number[], unit = "/s"): string {
  const s = [...xs].sort((a, b) => a - b);
  const median = s.length % 2
    ? s[(s.length - 1) / 2]!
    : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  const f = (x: number) => unit === "x" ? x.toFixed(1) : x.toFixed(0);
  return `median ${f(median)}${unit} (${f(s[0]!)}–${f(s.at(-1)!)})`;
}

async function submitSelf(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "asyncflow-bench-hpc-"));
  const self = fileURLToPath(import.meta.url);
  const runtime = host.runtime === "deno" ? [process.execPath, "run", "-A"] : [process.execPath];
  const args = [...runtime, self, "--rounds", String(rounds), ...(values.quick ? ["--quick"] : [])];
  writeFileSync(join(dir, "job.sh"), `#!/bin/sh\nexec ${args.map((a) => `'${a}'`).join(" ")}\n`);
  const out = join(dir, "out");
  const jobId = execFileSync("sbatch", [
    "--parsable",
    `--nodes=${values.nodes}`,
    "--exclusive",
    "--time=20",
    `--output=${out}`,
    "--job-name=asyncflow-bench-hpc",
    join(dir, "job.sh"),
  ], { encoding: "utf8" }).trim().split(";")[0]!;
  console.error(`submitted job ${jobId}; waiting for it`);
  // No event tells when a job ends: ask Slurm every second.
  for (;;) {
    const state = execFileSync("squeue", ["-h", "-j", jobId, "-o", "%T"], { encoding: "utf8" })
      .trim();
    if (state === "") break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  process.stdout.write(readFileSync(out, "utf8"));
  rmSync(dir, { recursive: true, force: true });
}
