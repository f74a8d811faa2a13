/**
 * A pilot on the 3-node cluster, driven from outside the allocation as from a login node: the
 * `asyncflow pilot submit --nodes 3` command line (run in the machine's own namespace) starts the
 * agent on the first node, which listens on that node's cluster address with HTTPS on a
 * certificate it made; the client pins it from endpoint.json and runs a small campaign of commands
 * and functions through it, the commands spread over the three nodes and forked by each node's
 * executor (one Slurm step per node), an MPI task
 * placed on 2 nodes x 2 ranks by the agent's scheduler, and a task set that fills all 3 nodes.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { WorkflowEngine } from "../../mod.ts";
import { RemoteBackend } from "../../backends/remote/mod.ts";
import * as tasks from "../fixtures/task_functions.ts";
import {
  asyncflow as asyncflowOnCluster,
  multinodeMode,
  multinodeSkipReason,
} from "./_multinode.ts";

const skip = multinodeSkipReason();
if (skip) console.log(`SKIP 3-node pilot test: ${skip}`);
const mpiSkip = skip ?? mpiMissing();
const fixtures = new URL("../fixtures/task_functions.ts", import.meta.url);

function mpiMissing(): string | undefined {
  try {
    execFileSync("mpicc", ["-show"], { stdio: "ignore" });
    return undefined;
  } catch {
    return "mpicc not found (apt-get install mpich libmpich-dev)";
  }
}

/**
 * A shell line for task `i` of `n`: check in at `dir`, wait until all `n` have, then print the
 * node it runs on. The tasks finish only if the agent ran all `n` at once; the wait is bounded
 * (30 s) so that they fail, not hang, when it did not.
 */
function meetAt(dir: string, n: number, i: number): string {
  return `touch ${dir}/${i}; w=0; ` +
    `while [ $(ls ${dir} | wc -l) -lt ${n} ] && [ $w -lt 300 ]; do sleep 0.1; w=$((w+1)); done; ` +
    `[ $w -lt 300 ] && echo "$SLURMD_NODENAME"`;
}

/** `asyncflow <args>` on the 3-node cluster, given 90 s unless told otherwise. */
function asyncflow(args: string[], timeout = 90_000): Promise<string> {
  return asyncflowOnCluster(args, timeout);
}

describe(
  skip ? `a pilot on the 3-node cluster (skipped: ${skip})` : "a pilot on the 3-node cluster",
  () => {
    let work = "";
    let pilotDir = "";
    let flow: WorkflowEngine | undefined;
    const pilotOut = () =>
      existsSync(join(pilotDir, "pilot.out"))
        ? readFileSync(join(pilotDir, "pilot.out"), "utf8")
        : "";

    /** A new, empty barrier directory on the filesystem the nodes share. */
    const barrier = (name: string) => {
      const dir = join(work, `barrier-${name}`);
      mkdirSync(dir);
      return dir;
    };

    before(() => {
      if (skip) return;
      work = mkdtempSync(join(tmpdir(), "asyncflow-mn-pilot-"));
      pilotDir = join(work, "pilot");
    });
    after(async () => {
      await flow?.shutdown();
      if (existsSync(join(pilotDir, "pilot.json"))) {
        await asyncflow(["pilot", "cancel", pilotDir]).catch(() => {});
      }
      if (work) rmSync(work, { recursive: true, force: true });
    });

    it(
      "asyncflow pilot submit --nodes 3 starts an agent reachable from outside its node",
      { skip, timeout: 120_000 },
      async () => {
        const said = await asyncflow([
          ...["pilot", "submit", "--dir", pilotDir, "--nodes", "3", "--walltime", "10"],
          ...["--job-name", "asyncflow-mn-ci", "--module", `fixtures=${fileURLToPath(fixtures)}`],
          // MPICH finds its ranks through Slurm's PMI2 (the cluster's MpiDefault is none).
          ...["--env", "SLURM_MPI_TYPE=pmi2", "--wait", "--timeout", "90"],
        ]);
        const url = /agent at (\S+);/.exec(said)?.[1];
        assert.ok(url, `no agent URL in: ${said}\n${pilotOut()}`);
        const endpoint = JSON.parse(readFileSync(join(pilotDir, "endpoint.json"), "utf8"));
        assert.equal(endpoint.url, url);
        assert.match(endpoint.fingerprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
        // The first node's own address: its loopback cannot be reached from here.
        if (multinodeMode() === "netns") assert.match(url, /^https:\/\/10\.250\.0\.11:\d+$/);
        else assert.match(url, /^https:\/\//);
        flow = await WorkflowEngine.create({
          backend: RemoteBackend.fromEndpointFile(join(pilotDir, "endpoint.json"), {
            modules: { fixtures },
          }),
        });
      },
    );

    it(
      "runs a campaign of commands and functions through it",
      { skip, timeout: 60_000 },
      async () => {
        assert.ok(flow, "the pilot is up");
        // Two cores each, as many as a node has, and all three meet at a barrier: they can only
        // finish on three different nodes.
        const met = barrier("campaign");
        const where = flow.executableTask(
          (i: number) => ["sh", "-c", `${meetAt(met, 3, i)} $SLURM_JOB_ID`],
          { resources: { ranks: 1, coresPerRank: 2 } },
        );
        const add = flow.functionTask(tasks.add);
        const echo = flow.functionTask(tasks.echo);
        const lines = await Promise.all([1, 2, 3].map((i) => where(i)));
        const nodes = lines.map((l) => l.trim().split(" ")[0]).sort();
        assert.deepEqual(nodes, ["node1", "node2", "node3"], lines.join("; "));
        const jobId = JSON.parse(readFileSync(join(pilotDir, "pilot.json"), "utf8")).jobId;
        for (const line of lines) {
          assert.equal(
            line.trim().split(" ")[1],
            jobId,
            "a step of the pilot",
          );
        }
        // A dependency chain across kinds: a command's output into a function, and back.
        const count = flow.executableTask((n: number) => ["seq", String(n)]);
        const total = add(add(2, 3), 4);
        const seq = await count(total);
        assert.equal(seq.trim().split("\n").length, 9);
        assert.deepEqual(await echo({ nodes, total: await total }), { nodes, total: 9 });
      },
    );

    it(
      "places an MPI task on 2 nodes x 2 ranks; each rank reports its node",
      { skip: mpiSkip, timeout: 60_000 },
      async () => {
        assert.ok(flow, "the pilot is up");
        const hello = join(work, "mpi_hello"); // on the filesystem the nodes share
        execFileSync("mpicc", [
          ...["-o", hello],
          fileURLToPath(new URL("./fixtures/mpi_hello.c", import.meta.url)),
        ]);
        const mpi = flow.executableTask(
          () => ["sh", "-c", `echo "$SLURMD_NODENAME $(${hello})"`],
          { resources: { ranks: 4, coresPerRank: 1 } },
        );
        const lines = (await mpi()).trim().split("\n").sort();
        const byNode = new Map<string, number[]>();
        for (const line of lines) {
          const m = /^(node\d) rank (\d) of 4 on (\S+) sum 6$/.exec(line);
          assert.ok(m, `'${line}' is a rank of 4 that took part in the sum`);
          if (multinodeMode() === "netns") {
            assert.equal(m[3], m[1], "MPI sees the node's host name");
          }
          byNode.set(m[1]!, [...byNode.get(m[1]!) ?? [], Number(m[2])]);
        }
        assert.equal(lines.length, 4, lines.join("; "));
        assert.deepEqual([...byNode.values()].map((r) => r.length), [2, 2], lines.join("; "));
        assert.deepEqual([...byNode.values()].flat().sort(), [0, 1, 2, 3]);
      },
    );

    it(
      "fills all three nodes: six one-core tasks run at the same time, two per node, forked by the nodes' executors",
      { skip, timeout: 60_000 },
      async () => {
        assert.ok(flow, "the pilot is up");
        const met = barrier("fill");
        const meet = flow.executableTask(
          (i: number) => ["sh", "-c", `${meetAt(met, 6, i)} $SLURM_STEP_ID`],
          { resources: { ranks: 1, coresPerRank: 1 } },
        );
        const lines = (await Promise.all([0, 1, 2, 3, 4, 5].map((i) => meet(i))))
          .map((s) => s.trim().split(" "));
        const nodes = lines.map(([node]) => node).sort();
        assert.deepEqual(nodes, ["node1", "node1", "node2", "node2", "node3", "node3"]);
        // Forked by their node's executor, not a Slurm step each: one step per node, three in all.
        const steps = new Map(lines.map(([node]) => [node, new Set<string>()]));
        for (const [node, step] of lines) steps.get(node)!.add(step!);
        assert.deepEqual([...steps.values()].map((s) => s.size), [1, 1, 1], lines.join("; "));
        assert.equal(new Set(lines.map(([, step]) => step)).size, 3, lines.join("; "));
      },
    );

    it("cancels the pilot from outside", { skip, timeout: 60_000 }, async () => {
      assert.ok(flow, "the pilot is up");
      await flow.shutdown();
      flow = undefined;
      assert.match(await asyncflow(["pilot", "cancel", pilotDir]), /cancelled job \d+/);
      // No event tells when Slurm has reaped the job: poll the status with a deadline.
      const deadline = Date.now() + 30_000;
      let status = await asyncflow(["pilot", "status", pilotDir]);
      while (/RUNNING|COMPLETING/.test(status) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        status = await asyncflow(["pilot", "status", pilotDir]);
      }
      assert.match(status, /CANCELLED|ENDED/);
    });
  },
);
