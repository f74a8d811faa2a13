/**
 * GPUs through Slurm GRES on the 3-node cluster: stand-in devices (scripts/slurm/multinode/
 * start.sh) give node1 one GPU and node2 and node3 two each. A pilot that asks for GPUs
 * (`--sbatch=--gpus=3`; `--exclusive` then holds every GPU of its nodes) learns each node's own
 * count from Slurm, not the batch node's; five one-GPU tasks meet at a barrier with
 * CUDA_VISIBLE_DEVICES of their own on each node; two-GPU tasks go only to node2 and node3; a
 * 2-rank task of two GPUs per rank is a Slurm step with Slurm's own binding; three GPUs per rank
 * is refused, naming why.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WorkflowEngine } from "../../mod.ts";
import { RemoteBackend } from "../../backends/remote/mod.ts";
import { readEndpointFile } from "../../backends/remote/connection.ts";
import { agentFetch } from "../../backends/remote/http.ts";
import { asyncflow, multinodeSkipReason, onCluster } from "./_multinode.ts";

function gpusMissing(): string | undefined {
  const gres = onCluster("sinfo", ["-h", "-N", "-o", "%N %G"]).trim().split("\n").sort().join(", ");
  return gres === "node1 gpu:1, node2 gpu:2, node3 gpu:2"
    ? undefined
    : `the cluster's nodes lack the stand-in GPUs (${gres}); restart it with scripts/slurm/multinode/start.sh`;
}
const skip = multinodeSkipReason() ?? gpusMissing();
if (skip) console.log(`SKIP GPU test: ${skip}`);

/** Check in at `dir`, wait (30 s at most) until `n` have, then print node and devices. */
const meetAt = (dir: string, n: number, i: number) =>
  `touch ${dir}/${i}; w=0; ` +
  `while [ $(ls ${dir} | wc -l) -lt ${n} ] && [ $w -lt 300 ]; do sleep 0.1; w=$((w+1)); done; ` +
  `[ $w -lt 300 ] && echo "$SLURMD_NODENAME $CUDA_VISIBLE_DEVICES"`;

describe(skip ? `GPUs through GRES (skipped: ${skip})` : "GPUs through GRES", () => {
  let work = "";
  let flow: WorkflowEngine | undefined;
  before(() => {
    if (skip) return;
    work = mkdtempSync(join(tmpdir(), "asyncflow-mn-gpus-"));
  });
  after(async () => {
    if (skip) return;
    await flow?.shutdown();
    await asyncflow(["pilot", "cancel", join(work, "pilot")]).catch(() => {});
    rmSync(work, { recursive: true, force: true });
  });

  it(
    "places GPU tasks on the nodes that have them, each with its own CUDA_VISIBLE_DEVICES",
    { skip, timeout: 120_000 },
    async () => {
      const pilotDir = join(work, "pilot");
      await asyncflow([
        ...["pilot", "submit", "--dir", pilotDir, "--nodes", "3", "--walltime", "10"],
        ...["--sbatch=--gpus=3", "--job-name", "asyncflow-mn-gpus", "--wait", "--timeout", "90"],
      ]);
      const endpoint = readEndpointFile(join(pilotDir, "endpoint.json"));
      const metrics = await (await agentFetch(endpoint, "/v1/metrics", {})).json();
      assert.deepEqual(metrics.free, { cores: 6, gpus: 5 }, "each node's own GPUs");
      flow = await WorkflowEngine.create({
        backend: RemoteBackend.fromEndpointFile(join(pilotDir, "endpoint.json")),
      });
      const run = flow.executableTask((line: string) => ["sh", "-c", line]);
      const one = join(work, "one");
      mkdirSync(one);
      const ones = await Promise.all(
        [0, 1, 2, 3, 4].map((i) => run.with({ resources: { gpusPerRank: 1 } })(meetAt(one, 5, i))),
      );
      assert.deepEqual(
        ones.map((s) => s.trim()).sort(),
        ["node1 0", "node2 0", "node2 1", "node3 0", "node3 1"],
      );

      const two = join(work, "two");
      mkdirSync(two);
      const twos = await Promise.all(
        [0, 1].map((i) => run.with({ resources: { gpusPerRank: 2 } })(meetAt(two, 2, i))),
      );
      assert.deepEqual(twos.map((s) => s.trim()).sort(), ["node2 0,1", "node3 0,1"]);

      // Two ranks: a Slurm step with --gpus-per-task; Slurm binds the devices of each rank.
      const wide = await run.with({ resources: { ranks: 2, gpusPerRank: 2 } })(
        'echo "$SLURMD_NODENAME $CUDA_VISIBLE_DEVICES"',
      );
      assert.deepEqual(wide.trim().split("\n").sort(), ["node2 0,1", "node3 0,1"]);

      await assert.rejects(
        run.with({ resources: { gpusPerRank: 3 } })("true"),
        /needs 3 GPUs per rank; the largest node has 2/,
      );
    },
  );
});
