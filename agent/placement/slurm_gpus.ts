/**
 * The GPUs of a Slurm job, node by node. The job's environment describes the batch node only
 * (`SLURM_GPUS_ON_NODE`), and nodes differ: `scontrol show job -d` lists what the job holds on
 * each (`Nodes=node[2-3] … GRES=gpu:2(IDX:0-1)`). And the job's own GPU request, which its
 * environment hands to every `srun` (`SLURM_GPUS=3`), is dropped: each step the agent makes
 * names its own GPUs, or none.
 *
 * @module
 */
import { runSlurm, type SlurmCliOptions } from "../pilot/_slurm_cli.ts";
import type { Allocation } from "./allocation.ts";
import { expandHostList } from "./hostlist.ts";

/**
 * GPUs per node from `scontrol show job -d`: one `Nodes=… GRES=…` line per group of nodes. A node
 * the text does not mention holds none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseJobGpus } from "./slurm_gpus.ts";
 * const text = "   JOB_GRES=gpu:5\n" +
 *   "     Nodes=node1 CPU_IDs=0-1 Mem=0 GRES=gpu:1(IDX:0)\n" +
 *   "     Nodes=node[2-3] CPU_IDs=0-1 Mem=0 GRES=gpu:a100:2(IDX:0-1),nic:1\n";
 * assert.deepEqual([...parseJobGpus(text)], [["node1", 1], ["node2", 2], ["node3", 2]]);
 * ```
 */
export function parseJobGpus(text: string): Map<string, number> {
  const gpus = new Map<string, number>();
  for (const m of text.matchAll(/^\s*Nodes=(\S+) .*?GRES=(\S*)/gm)) {
    let count = 0;
    // gpu:2(IDX:0-1) or gpu:a100:2(IDX:0,2); other kinds of GRES are not GPUs.
    for (const g of m[2]!.matchAll(/(?:^|,)gpu(?::[^:(,]+)?:(\d+)/g)) count += Number(g[1]);
    for (const node of expandHostList(m[1]!)) gpus.set(node, count);
  }
  return gpus;
}

/**
 * The allocation with each node's GPUs as Slurm holds them for `SLURM_JOB_ID`. Outside a Slurm
 * job, or when scontrol cannot say (it warns on stderr), the allocation is returned as it was.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withSlurmGpus } from "./slurm_gpus.ts";
 * const local = { source: "local" as const, nodes: [{ name: "vm", cores: 2, gpus: 0 }] };
 * assert.equal(await withSlurmGpus(local, {}), local);
 * ```
 */
export async function withSlurmGpus(
  allocation: Allocation,
  env: Record<string, string | undefined>,
  options: SlurmCliOptions = {},
): Promise<Allocation> {
  const job = env.SLURM_JOB_ID?.trim();
  if (allocation.source !== "slurm" || job === undefined || !/^\d+$/.test(job)) return allocation;
  const args = ["show", "job", "-d", job];
  try {
    const r = await runSlurm("scontrol", args, options);
    if (r.exitCode !== 0) throw new Error(r.stderr.trim() || `exit code ${r.exitCode}`);
    const gpus = parseJobGpus(r.stdout);
    return {
      ...allocation,
      nodes: allocation.nodes.map((n) => ({ ...n, gpus: gpus.get(n.name) ?? 0 })),
    };
  } catch (error) {
    console.error(
      `asyncflow agent: warning: 'scontrol ${args.join(" ")}' cannot say which GPUs each node ` +
        `holds (${
          (error as Error).message
        }); every node is taken to have as many as the batch node`,
    );
    return allocation;
  }
}

/** The variables by which a job's GPU request reaches every `srun` started inside it. */
export const JOB_GPU_REQUEST = [
  "SLURM_GPUS",
  "SLURM_GPUS_PER_NODE",
  "SLURM_GPUS_PER_TASK",
  "SLURM_GRES",
  "SLURM_CPUS_PER_GPU",
  "SLURM_MEM_PER_GPU",
] as const;

/**
 * Removes the job's GPU request from `env` (the agent's own), so that the steps the agent starts
 * ask for what their `--gpus-per-task` or `--gres=none` says: with `SLURM_GPUS=3` from
 * `sbatch --gpus=3`, Slurm refuses a one-node step ("Invalid generic resource").
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { forgetJobGpuRequest } from "./slurm_gpus.ts";
 * const env: Record<string, string | undefined> = { SLURM_GPUS: "3", SLURM_JOB_ID: "7" };
 * forgetJobGpuRequest(env);
 * assert.deepEqual(env, { SLURM_JOB_ID: "7" });
 * ```
 */
export function forgetJobGpuRequest(env: Record<string, string | undefined>): void {
  for (const name of JOB_GPU_REQUEST) delete env[name];
}
