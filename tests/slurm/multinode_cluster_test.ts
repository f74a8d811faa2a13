/**
 * The 3-node test cluster itself: its nodes are distinct machines as far as Slurm and MPI can
 * tell (names, host names and addresses in netns mode; names in the multiple-slurmd fallback),
 * MPICH runs across two of them under srun's PMI2, and a 3-node batch job runs.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { multinodeMode, multinodeSkipReason, onCluster } from "./_multinode.ts";

const skip = multinodeSkipReason();
if (skip) console.log(`SKIP 3-node cluster test: ${skip}`);
const mode = multinodeMode();

describe(skip ? `the 3-node Slurm cluster (skipped: ${skip})` : "the 3-node Slurm cluster", () => {
  let work = "";
  before(() => {
    if (!skip) work = mkdtempSync(join(tmpdir(), "asyncflow-multinode-"));
  });
  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("srun -N3 runs on three nodes with their own names and host names", { skip }, () => {
    const lines = onCluster("srun", [
      ...["-N3", "--ntasks-per-node=1", "sh", "-c"],
      'echo "$SLURMD_NODENAME $(hostname) $(hostname -i)"',
    ]).trim().split("\n").sort();
    const [names, hosts, addresses] = [0, 1, 2].map((i) => lines.map((l) => l.split(" ")[i]));
    assert.deepEqual(names, ["node1", "node2", "node3"], lines.join("; "));
    if (mode === "netns") {
      assert.deepEqual(hosts, ["node1", "node2", "node3"], lines.join("; "));
      assert.deepEqual(addresses, ["10.250.0.11", "10.250.0.12", "10.250.0.13"]);
    } else {
      console.log("multiple-slurmd mode: every node has this machine's host name and address");
      assert.equal(new Set(hosts).size, 1, lines.join("; "));
    }
  });

  it(
    "runs an MPICH hello on 2 nodes x 2 ranks under srun --mpi=pmi2",
    { skip, timeout: 60_000 },
    () => {
      const hello = join(work, "mpi_hello");
      execFileSync("mpicc", [
        ...["-o", hello],
        fileURLToPath(new URL("./fixtures/mpi_hello.c", import.meta.url)),
      ]);
      // Each rank prefixes the node Slurm put it on: that tells nodes apart in both modes.
      const lines = onCluster("srun", [
        ...["--mpi=pmi2", "-N2", "--ntasks-per-node=2", "sh", "-c"],
        `echo "$SLURMD_NODENAME $(${hello})"`,
      ]).trim().split("\n").sort((a, b) => a.localeCompare(b));
      assert.equal(lines.length, 4, lines.join("; "));
      const byNode = new Map<string, number[]>();
      for (const line of lines) {
        const m = /^(node\d) rank (\d) of 4 on (\S+) sum 6$/.exec(line);
        assert.ok(m, `'${line}' is a rank of 4 that took part in the sum`);
        if (mode === "netns") assert.equal(m[3], m[1], "MPI sees the node's own host name");
        byNode.set(m[1]!, [...byNode.get(m[1]!) ?? [], Number(m[2])]);
      }
      assert.equal(byNode.size, 2, `two nodes: ${lines.join("; ")}`);
      for (const ranks of byNode.values()) assert.equal(ranks.length, 2);
      assert.deepEqual([...byNode.values()].flat().sort(), [0, 1, 2, 3]);
    },
  );

  it("runs a 3-node batch job to completion", { skip, timeout: 60_000 }, () => {
    const script = join(work, "job.sh");
    const out = join(work, "job.out");
    writeFileSync(script, "#!/bin/bash\nsrun sh -c 'echo \"$SLURMD_NODENAME\"'\n");
    // --wait returns when the job ends, with its exit code: a failed job throws here.
    const said = onCluster("sbatch", ["--wait", "-N3", "-o", out, script], 60_000);
    const jobId = /Submitted batch job (\d+)/.exec(said)?.[1];
    assert.ok(jobId, said);
    assert.deepEqual(readFileSync(out, "utf8").trim().split("\n").sort(), [
      "node1",
      "node2",
      "node3",
    ]);
  });
});
