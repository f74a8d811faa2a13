/**
 * The agent's own node dies, on the 3-node cluster: a 3-node pilot runs its agent on node1;
 * three commands finish, three more run when every process of node1 is killed (its slurmd, the
 * agent, its srun steps: the node is gone), and Slurm is told that node1 is down (which ends
 * the job). The user submits a new pilot on the same directory (the journal is on the shared filesystem), on node2 and node3. Its agent
 * recovers from the journal: what finished stays finished, what ran is `lost`
 * (TaskLostError); the client follows the new endpoint, its retry policy reruns the three lost
 * commands on the new pilot, and the campaign finishes without running anything that finished
 * again. node1's slurmd is started again afterwards.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { type TaskEvent, WorkflowEngine } from "../../mod.ts";
import { RemoteBackend } from "../../backends/remote/mod.ts";
import {
  allNodesIdle,
  asyncflow,
  multinodeEnv,
  multinodeMode,
  multinodeSkipReason,
  onCluster,
  until,
} from "./_multinode.ts";

const skip = multinodeSkipReason() ??
  (multinodeMode() === "netns" ? undefined : "killing one node's processes needs the netns mode");
if (skip) console.log(`SKIP agent node loss test: ${skip}`);
const ROOT = process.env.ASYNCFLOW_MULTINODE_ROOT ?? "/var/lib/asyncflow-multinode";
const NODE1_NS = "af3-node1";

/** Kills every process of node1: its slurmd, and whatever runs there. */
function killNode1(): void {
  const pids = execFileSync("ip", ["netns", "pids", NODE1_NS], { encoding: "utf8" })
    .trim().split("\n").filter((p) => p !== "").map(Number);
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch { /* gone already */ }
  }
}

/**
 * Starts node1's slurmd again inside its namespace, as scripts/slurm/multinode/start.sh does,
 * and returns it to service.
 */
function restartNode1(): void {
  execFileSync("nsenter", [
    `--net=/run/netns/${NODE1_NS}`,
    ...["unshare", "--uts", "--mount", "--propagation", "slave", "bash", "-c"],
    `hostname node1 && mount --bind ${ROOT}/hosts /etc/hosts && exec /usr/sbin/slurmd -N node1`,
  ], { env: multinodeEnv, stdio: "pipe" });
  try {
    onCluster("scontrol", ["update", "nodename=node1", "state=resume"]);
  } catch {
    // Already back: ReturnToService=2 returns a node to service when its slurmd registers.
  }
}

const jobState = (job: string) =>
  onCluster("squeue", ["-h", "-t", "all", "-j", job, "-o", "%T"]).trim();

describe(
  skip ? `losing the agent's node (skipped: ${skip})` : "losing the agent's node",
  () => {
    let work = "";
    let flow: WorkflowEngine | undefined;
    let node1Down = false;
    before(() => {
      if (skip) return;
      work = mkdtempSync(join(tmpdir(), "asyncflow-mn-agent-loss-"));
    });
    after(async () => {
      if (skip) return;
      if (node1Down) restartNode1();
      await flow?.shutdown();
      await asyncflow(["pilot", "cancel", join(work, "pilot")]).catch(() => {});
      // The next test wants all three nodes: node1 must be idle again.
      await until(allNodesIdle, "three idle nodes again", 90_000)
        .catch((e) => console.error(e.message));
      rmSync(work, { recursive: true, force: true });
    });

    it(
      "a new pilot on the same directory recovers from the journal; nothing that finished runs again",
      { skip, timeout: 180_000 },
      async () => {
        const pilotDir = join(work, "pilot");
        await asyncflow([
          ...["pilot", "submit", "--dir", pilotDir, "--nodes", "3", "--walltime", "10"],
          ...["--job-name", "asyncflow-mn-agent-loss", "--wait", "--timeout", "90"],
        ]);
        const jobOf = () => JSON.parse(readFileSync(join(pilotDir, "pilot.json"), "utf8")).jobId;
        const jobA = jobOf();
        flow = await WorkflowEngine.create({
          backend: RemoteBackend.fromEndpointFile(join(pilotDir, "endpoint.json"), {
            // Wait for the new pilot rather than fail what is in flight; look for it often.
            unreachableAfter: 600_000,
            heartbeat: 1_000,
          }),
        });
        const retried: TaskEvent[] = [];
        flow.subscribe((e) => {
          if (e.type === "retried") retried.push(e);
        });
        const runs = join(work, "runs");
        const go = join(work, "go");
        mkdirSync(runs);
        // Each attempt appends its job to runs/<i>; a held one then waits for go (120 s at most).
        const step = flow.executableTask((i: number, hold: boolean) => [
          "sh",
          "-c",
          `echo $SLURM_JOB_ID >> ${runs}/${i}; ` +
          (hold
            ? `w=0; while [ ! -e ${go} ] && [ $w -lt 1200 ]; do sleep 0.1; w=$((w+1)); done; `
            : "") +
          "echo $SLURM_JOB_ID",
        ], { retries: { max: 2, retryOn: (e) => (e as Error).name === "TaskLostError" } });

        const quick = await Promise.all([0, 1, 2].map((i) => step(i, false)));
        assert.deepEqual(quick.map((s) => s.trim()), [jobA, jobA, jobA]);
        const held = [3, 4, 5].map((i) => step(i, true));
        await until(() => readdirSync(runs).length === 6, "the three held commands to start");

        killNode1();
        node1Down = true;
        // The user cancels the job. Slurm is told at once what it concludes SlurmdTimeout later,
        // that node1 is down: the cancelled job then ends instead of staying COMPLETING on it.
        onCluster("scontrol", ["update", "nodename=node1", "state=down", "reason=asyncflow-test"]);
        await asyncflow(["pilot", "cancel", pilotDir]);
        await until(() => !/RUNNING|COMPLETING/.test(jobState(jobA)), `job ${jobA} to end`);
        await asyncflow([
          ...["pilot", "submit", "--dir", pilotDir, "--nodes", "2", "--walltime", "10"],
          ...["--sbatch=--exclude=node1", "--job-name", "asyncflow-mn-agent-loss-2"],
          ...["--wait", "--timeout", "90"],
        ]);
        const jobB = jobOf();
        assert.notEqual(jobB, jobA);
        assert.match(readFileSync(join(pilotDir, "endpoint.json"), "utf8"), /10\.250\.0\.12/);

        await until(() => retried.length === 3, "the three lost commands to be retried", 90_000);
        for (const e of retried) {
          assert.equal(e.error?.name, "TaskLostError");
          assert.match(e.error!.message, /the restarted agent did not run it again/);
        }
        assert.deepEqual(
          new Set(retried.map((e) => e.uid)),
          new Set(held.map((f) => f.uid)),
          "the lost ones are the held ones",
        );
        writeFileSync(go, "");
        assert.deepEqual((await Promise.all(held)).map((s) => s.trim()), [jobB, jobB, jobB]);

        const ranOn = (i: number) =>
          existsSync(join(runs, String(i)))
            ? readFileSync(join(runs, String(i)), "utf8").trim().split("\n")
            : [];
        for (const i of [0, 1, 2]) assert.deepEqual(ranOn(i), [jobA], `task ${i} ran once`);
        for (const i of [3, 4, 5]) assert.deepEqual(ranOn(i), [jobA, jobB], `task ${i}`);

        await flow.shutdown();
        flow = undefined;
        restartNode1();
        node1Down = false;
      },
    );
  },
);
