/**
 * Two Slurm pilots serving one campaign on the 3-node cluster (PilotPool): pilot A has one node
 * and a three-minute walltime, draining 120 s and cutting 110 s before its end; pilot B has two nodes
 * and ten minutes. A takes the first four tasks (two run on its two cores, two wait on its
 * agent), B the other two. On A a task holds its core; on B it ends at once. At A's drain its two
 * waiting tasks go to B, at its cut the two running ones do: the campaign finishes on B, the
 * waiting ones never started on A, and no retry is spent. Before that, A's end is Slurm's, and a
 * task that declares 90 s of walltime is refused by A and runs on B. About 75 s.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { type TaskEvent, WorkflowEngine } from "../../mod.ts";
import { PilotPool } from "../../agent/pilot/mod.ts";
import { parseSlurmTime } from "../../agent/pilot/walltime.ts";
import { readEndpointFile } from "../../backends/remote/connection.ts";
import { agentFetch } from "../../backends/remote/http.ts";
import { multinodeSkipReason, onCluster, TwoPilots } from "./_multinode.ts";

const skip = multinodeSkipReason();
if (skip) console.log(`SKIP pilot pool test: ${skip}`);

describe(skip ? `two pilots, one campaign (skipped: ${skip})` : "two pilots, one campaign", () => {
  const pilots = new TwoPilots("pool");
  let flow: WorkflowEngine | undefined;
  before(() => {
    if (!skip) pilots.create();
  });
  after(async () => {
    if (skip) return;
    await flow?.shutdown();
    await pilots.cancel();
  });

  it(
    "what the ending pilot holds finishes on the other, without retries",
    { skip, timeout: 150_000 },
    async () => {
      const [a] = pilots.dirs;
      const [jobA, jobB] = await pilots.submit(
        // Three minutes, draining after 60 s and cut after 70 s: the minute before the drain is
        // for both pilots and the client to start on a loaded machine (15 s, then 30 s, were not
        // always enough: A drained before the campaign reached it).
        ["--nodes", "1", "--walltime", "3", "--drain-margin", "120", "--cut-margin", "110"],
        ["--nodes", "2", "--walltime", "10"],
      );
      // A learnt its end from Slurm.
      const endA = parseSlurmTime(
        onCluster("squeue", ["-h", "-j", jobA, "-o", "%e"]).trim(),
        "end",
      )!;
      const metricsA =
        await (await agentFetch(readEndpointFile(join(a, "endpoint.json")), "/v1/metrics", {}))
          .json();
      assert.equal(metricsA.walltime.endsAt, new Date(endA).toISOString(), "Slurm's end");
      const pool = new PilotPool(pilots.endpointFiles);
      flow = await WorkflowEngine.create({ backend: pool });
      const retried: TaskEvent[] = [];
      flow.subscribe((e) => {
        if (e.type === "retried") retried.push(e);
      });
      const started = join(pilots.work, "started");
      mkdirSync(started);
      const task = flow.executableTask((i: number) => [
        "sh",
        "-c",
        `touch ${started}/${i}-$SLURM_JOB_ID; ` +
        `[ "$SLURM_JOB_ID" = ${jobA} ] && exec sleep 300; echo $SLURM_JOB_ID`,
      ], { retries: 2 });
      // Declaring 90 s, it cannot fit on A (cut 70 s after its start): A refuses it, B runs it.
      assert.equal((await task.with({ resources: { walltimeMs: 90_000 } })(0)).trim(), jobB);

      const finished: number[] = [];
      const results = await Promise.all(
        [1, 2, 3, 4, 5, 6].map((i) => task(i).then((out) => (finished.push(i), out.trim()))),
      );
      assert.deepEqual(results, new Array(6).fill(jobB), "every task ended on pilot B");
      const onA = readdirSync(started).filter((f) => f.endsWith(`-${jobA}`)).map((f) =>
        f.split("-")[0]
      );
      assert.deepEqual(
        onA.sort(),
        ["1", "2"],
        "on A only the two that ran; the two waiting never started",
      );
      // 5 and 6 ran on B at once; 3 and 4 when A drained; 1 and 2 when A's cut ended them.
      assert.deepEqual(finished.slice(0, 2).sort(), [5, 6], `order ${finished}`);
      assert.deepEqual(finished.slice(2, 4).sort(), [3, 4], `order ${finished}`);
      assert.deepEqual(retried, [], "no retry was spent");
      assert.ok(Date.now() < endA, "A's tasks were cut and moved before Slurm's end");
      assert.match(pool.pilots[0]!.closed ?? "", /this pilot drains/);
    },
  );
});
