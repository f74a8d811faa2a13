/**
 * Short commands (`/bin/true`) per second across the nodes of a Slurm allocation, launched three
 * ways in the same job, interleaved round by round: by the node executors (one per node, started
 * once), as one `srun` step per command (what the agent did before), and — the floor — forked on
 * the batch node itself (the most one node's forking gives). Every core of the allocation is kept
 * busy: one command per core at a time, placed by the agent's scheduler.
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
import { NodeExecutors } from "../agent/executor/node_executors.ts";
import { allocationFromEnv } from "../agent/placement/allocation.ts";
import { launchCommand } from "../agent/placement/launch.ts";
import { SlotScheduler } from "../agent/placement/scheduler.ts";
import { host, type RunningProcess } from "../src/host/mod.ts";

const { values } = parseArgs({
  options: {
    nodes: { type: "string", default: "3" },
    rounds: { type: "string", default: "5" },
    quick: { type: "boolean" },
  },
});
const rounds = values.quick ? 2 : Number(values.rounds);

if (process.env.SLURM_JOB_ID === undefined) await submitSelf();
else await measure();

async function measure(): Promise<void> {
  const allocation = allocationFromEnv(process.env);
  if (!allocation) throw new Error("not in a Slurm allocation (no SLURM_JOB_NODELIST)");
  const cores = allocation.nodes.reduce((n, node) => n + node.cores, 0);
  const nodes = allocation.nodes.map((n) => n.name);
  const t0 = performance.now();
  const executors = await NodeExecutors.start(nodes);
  const startMs = performance.now() - t0;
  const MB = 1 << 20;
  const many = values.quick ? 300 : 1500;
  const few = values.quick ? 30 : 120; // srun is slow: fewer, for a round of similar length
  const ways: Record<string, (s: SlotScheduler) => Promise<number>> = {
    executors: (s) =>
      rate(s, (p) => executors.launch(p, ["/bin/true"], undefined, undefined, MB)!, many),
    "srun per command": (s) =>
      rate(s, (p) => host.spawn({ command: launchCommand("srun", p, ["/bin/true"]).argv }), few),
  };
  const batchNode = allocation.nodes[0]!;
  const floor = () =>
    rate(
      new SlotScheduler({ source: "flags", nodes: [batchNode] }),
      () => host.spawn({ command: ["/bin/true"] }),
      many,
    );
  const results: Record<string, number[]> = { executors: [], "srun per command": [], floor: [] };
  for (let r = 0; r < rounds; r++) {
    // Alternate the order, so that neither way always runs first.
    const order = r % 2 === 0
      ? ["executors", "srun per command"]
      : ["srun per command", "executors"];
    for (const way of order) {
      results[way]!.push(await ways[way]!(new SlotScheduler(allocation)));
    }
    results.floor!.push(await floor());
  }
  await executors.close();
  console.log(
    `${host.runtime}, ${nodes.length} nodes (${nodes.join(",")}), ${cores} cores, one /bin/true ` +
      `per core at a time, ${rounds} rounds; executors started in ${startMs.toFixed(0)} ms`,
  );
  for (const [way, rates] of Object.entries(results)) {
    const label = way === "floor"
      ? `fork on ${nodes[0]} alone (floor, ${allocation.nodes[0]!.cores} cores)`
      : way;
    console.log(`${label.padEnd(40)} ${summary(rates)}`);
  }
  const ratios = results.executors!.map((x, i) => x / results["srun per command"]![i]!);
  console.log(`${"executors / srun, per round".padEnd(40)} ${summary(ratios, "x")}`);
  const vsFloor = results.executors!.map((x, i) => x / results.floor![i]!);
  console.log(`${"executors / floor, per round".padEnd(40)} ${summary(vsFloor, "x")}`);
}

/** Commands per second: `count` commands, as many at once as the scheduler has cores. */
async function rate(
  slots: SlotScheduler,
  start: (p: NonNullable<ReturnType<SlotScheduler["place"]>>) => RunningProcess,
  count: number,
): Promise<number> {
  let started = 0;
  const t0 = performance.now();
  const lane = async () => {
    const p = slots.place({ ranks: 1, coresPerRank: 1, gpusPerRank: 0 });
    if (!p) return;
    while (started < count) {
      started++;
      const outcome = await start(p).exited;
      if (outcome.exitCode !== 0) throw new Error(`/bin/true ended with ${outcome.exitCode}`);
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
