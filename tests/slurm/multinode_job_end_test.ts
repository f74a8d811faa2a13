/**
 * A pilot cancelled from outside (`scancel` of its job) on the 3-node cluster: Slurm sends its
 * agent SIGTERM, and the agent reports its running and waiting tasks as cancelled by the job's
 * end before it closes, so that a PilotPool moves them to the other pilot at once — not after the
 * client's `unreachableAfter` (two minutes here, longer than the test may take). Pilot A (one
 * node, two cores) holds four tasks: two run, two wait; pilot B (two nodes) finishes all four;
 * the waiting ones never started on A, no retry is spent, and A's agent stopped cleanly before
 * Slurm's SIGKILL. About 20 s.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type TaskEvent, WorkflowEngine } from "../../mod.ts";
import { PilotPool } from "../../agent/pilot/mod.ts";
import { multinodeSkipReason, onCluster, TwoPilots, until } from "./_multinode.ts";

const skip = multinodeSkipReason();
if (skip) console.log(`SKIP job end test: ${skip}`);

describe(
  skip ? `a pilot cancelled from outside (skipped: ${skip})` : "a pilot cancelled from outside",
  () => {
    const pilots = new TwoPilots("jobend");
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
      "reports its tasks at once, and a PilotPool moves them to the other pilot",
      { skip, timeout: 100_000 },
      async () => {
        const [a] = pilots.dirs;
        const [jobA, jobB] = await pilots.submit(
          ["--nodes", "1", "--walltime", "5"],
          ["--nodes", "2", "--walltime", "5"],
        );
        const pool = new PilotPool(pilots.endpointFiles, {
          remote: { unreachableAfter: "2m" },
        });
        flow = await WorkflowEngine.create({ backend: pool });
        const retried: TaskEvent[] = [];
        flow.subscribe((e) => e.type === "retried" && retried.push(e));
        const started = join(pilots.work, "started");
        mkdirSync(started);
        // On A a task holds its core; on B it ends at once.
        const task = flow.executableTask((i: number) => [
          "sh",
          "-c",
          `touch ${started}/${i}-$SLURM_JOB_ID; ` +
          `[ "$SLURM_JOB_ID" = ${jobA} ] && exec sleep 300; echo $SLURM_JOB_ID`,
        ], { retries: 2 });
        // A has room for four (two cores, two waiting on its agent): it takes them all.
        const results = [1, 2, 3, 4].map((i) => task(i).then((out) => out.trim()));
        const onA = () => readdirSync(started).filter((f) => f.endsWith(`-${jobA}`));
        await until(() => onA().length === 2, "two tasks running on A", 30_000);
        assert.deepEqual(pool.pilots.map((p) => p.held), [4, 0]);

        onCluster("scancel", [jobA]);
        const cancelledAt = Date.now();
        assert.deepEqual(await Promise.all(results), new Array(4).fill(jobB), "all ended on B");
        const tookMs = Date.now() - cancelledAt;
        // Without the agent's report the pool would wait out unreachableAfter (2 minutes).
        assert.ok(tookMs < 30_000, `moved ${tookMs} ms after scancel`);
        assert.equal(onA().length, 2, "the two waiting on A never started there");
        assert.deepEqual(retried, [], "no retry was spent");
        assert.match(pool.pilots[0]!.closed ?? "", new RegExp(`Slurm job ${jobA} is ending`));
        // A's agent closed by itself, well before Slurm's SIGKILL (KillWait, 30 s).
        const log = join(a, "agent.log");
        await until(
          () => existsSync(log) && readFileSync(log, "utf8").includes("agent stopped"),
          "A's agent to stop",
          25_000,
        );
      },
    );
  },
);
