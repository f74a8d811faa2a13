/**
 * A node lost mid-run on the 3-node cluster: six one-core commands fill the three nodes of a
 * pilot, then node3 fails: its link is cut (`ip -n af3-node3 link set eth0 down`; the agent hears
 * no heartbeat from node3's executor) or its slurmd is killed (Slurm declares the node down and
 * ends the executor's step; the pilot is `--no-kill`, so the job lives on). Either way the agent
 * fails the two commands that ran there with NodeLostError naming node3, places nothing more
 * there, and the engine's retry policy reruns them on node1 and node2: the campaign finishes.
 * In the slurmd case one of node3's two tasks is a 2-rank srun step over node2 and node3: Slurm
 * ends it for the node failure, and it too fails as NodeLostError naming node3 (not as the
 * command's own ExecutableError). The link comes back up and slurmd is started again afterwards.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { type TaskEvent, WorkflowEngine } from "../../mod.ts";
import { RemoteBackend } from "../../backends/remote/mod.ts";
import {
  asyncflow,
  multinodeEnv,
  multinodeMode,
  multinodeSkipReason,
  onCluster,
  until,
} from "./_multinode.ts";

const skip = multinodeSkipReason() ??
  (multinodeMode() === "netns" ? undefined : "cutting a node's link needs the netns mode");
if (skip) console.log(`SKIP node-loss test: ${skip}`);
const NODE3_NS = "af3-node3";

const ROOT = process.env.ASYNCFLOW_MULTINODE_ROOT ?? "/var/lib/asyncflow-multinode";
const slurmdPid = () => Number(readFileSync(`${ROOT}/run/slurmd-node3.pid`, "utf8"));

/** Starts node3's slurmd again inside its namespace, as scripts/slurm/multinode/start.sh does. */
function restartSlurmd(): void {
  execFileSync("nsenter", [
    `--net=/run/netns/${NODE3_NS}`,
    ...["unshare", "--uts", "--mount", "--propagation", "slave", "bash", "-c"],
    `hostname node3 && mount --bind ${ROOT}/hosts /etc/hosts && exec /usr/sbin/slurmd -N node3`,
  ], { env: multinodeEnv, stdio: "pipe" });
}

const link = (state: "up" | "down") =>
  execFileSync("ip", ["-n", NODE3_NS, "link", "set", "eth0", state], { stdio: "pipe" });

describe(skip ? `losing a node mid-run (skipped: ${skip})` : "losing a node mid-run", () => {
  let work = "";
  const pilotDirs: string[] = [];
  const flows: WorkflowEngine[] = [];
  const healers: (() => void)[] = [];

  before(() => {
    if (skip) return;
    work = mkdtempSync(join(tmpdir(), "asyncflow-mn-loss-"));
  });
  after(async () => {
    if (skip) return;
    for (const heal of healers) heal();
    await Promise.all(flows.map((f) => f.shutdown()));
    for (const dir of pilotDirs) await asyncflow(["pilot", "cancel", dir]).catch(() => {});
    rmSync(work, { recursive: true, force: true });
  });

  it(
    "node3's link cut: its commands fail with NodeLostError and are retried on the other nodes",
    { skip, timeout: 150_000 },
    () =>
      loseNode3({
        name: "link",
        fault: () => link("down"),
        heal: () => link("up"),
        why: /node node3 was lost \(no heartbeat for \d+ ms\)/,
      }),
  );

  it(
    "node3's slurmd killed: Slurm fails the node, its executor's step ends, and a 2-node srun step over node2 and node3 fails as NodeLostError too",
    { skip, timeout: 150_000 },
    () =>
      loseNode3({
        name: "slurmd",
        fault: () => process.kill(slurmdPid(), "SIGKILL"),
        heal: restartSlurmd,
        why: /node node3 was lost \(its executor's step ended with [^)]+\)/,
        span:
          /node node3 was lost \((Slurm ended the command's step with [^)]+ for a failure of that node|the command's step ended with [^)]+ after the node failed)\)/,
      }),
  );

  /**
   * A pilot of 3 nodes, six commands that fill it, `fault` on node3, and the campaign's end.
   * With `span`, the fourth of five tasks has two ranks, one on node2 and one on node3 (first
   * fit): a Slurm step over both nodes, not an executor's command; `span` is what its error says.
   */
  async function loseNode3(o: {
    name: string;
    fault: () => void;
    heal: () => void;
    why: RegExp;
    span?: RegExp;
  }): Promise<void> {
    const pilotDir = join(work, `pilot-${o.name}`);
    pilotDirs.push(pilotDir);
    await asyncflow([
      ...["pilot", "submit", "--dir", pilotDir, "--nodes", "3", "--walltime", "10"],
      ...["--job-name", "asyncflow-mn-loss", "--wait", "--timeout", "90"],
    ]);
    const flow = await WorkflowEngine.create({
      backend: RemoteBackend.fromEndpointFile(join(pilotDir, "endpoint.json")),
    });
    flows.push(flow);
    const retried: TaskEvent[] = [];
    flow.subscribe((e) => {
      if (e.type === "retried") retried.push(e);
    });
    const started = join(work, `started-${o.name}`);
    const go = join(work, `go-${o.name}`);
    mkdirSync(started);
    // Each attempt checks in with its node, then waits for the test's go (bounded: 120 s).
    const step = flow.executableTask(
      (i: number) => [
        "sh",
        "-c",
        `touch ${started}/${i}-$SLURMD_NODENAME-$$; w=0; ` +
        `while [ ! -e ${go} ] && [ $w -lt 1200 ]; do sleep 0.1; w=$((w+1)); done; ` +
        `echo $SLURMD_NODENAME`,
      ],
      {
        resources: { ranks: 1, coresPerRank: 1 },
        retries: { max: 2, retryOn: (e) => (e as Error).name === "NodeLostError" },
      },
    );
    const results = o.span
      ? [0, 1, 2, 3, 4].map((i) => i === 3 ? step.with({ resources: { ranks: 2 } })(i) : step(i))
      : [0, 1, 2, 3, 4, 5].map((i) => step(i));
    await until(() => readdirSync(started).length === 6, "six commands on the three nodes");
    const firstNodes = readdirSync(started).map((f) => f.split("-")[1]).sort();
    assert.deepEqual(firstNodes, ["node1", "node1", "node2", "node2", "node3", "node3"]);

    const faultAt = Date.now();
    o.fault();
    healers.push(o.heal);
    await until(() => retried.length === 2, "the two commands of node3 to be retried", 90_000);
    console.log(`node3 (${o.name}) lost and its commands retried after ${Date.now() - faultAt} ms`);
    healers.pop();
    o.heal(); // node3 comes back to Slurm, but the agent must not take it back
    for (const e of retried) {
      assert.equal(e.error?.name, "NodeLostError", e.error?.message);
      const wide = o.span && e.uid === results[3]!.uid;
      assert.match(e.error!.message, wide ? o.span! : o.why);
    }
    if (o.span) {
      assert.ok(retried.some((e) => e.uid === results[3]!.uid), "the 2-node step was retried");
    }
    writeFileSync(go, "");
    const nodes = (await Promise.all(results)).flatMap((s) => s.trim().split("\n"));
    assert.equal(nodes.length, 6);
    assert.ok(!nodes.includes("node3"), `no result from node3: ${nodes.join(", ")}`);
    assert.equal(new Set(retried.map((e) => e.uid)).size, 2, "two different tasks were retried");

    // Nothing more goes to node3: new work fills node1 and node2.
    const more = await Promise.all([6, 7, 8, 9].map((i) => step(i)));
    assert.deepEqual(more.map((s) => s.trim()).sort(), ["node1", "node1", "node2", "node2"]);
    const onNode3 = readdirSync(started).filter((f) => f.includes("-node3-")).length;
    assert.equal(onNode3, 2, "node3 got only its first two commands");
    assert.ok(readFileSync(join(pilotDir, "pilot.out"), "utf8").includes("node node3 was lost"));

    // The next pilot wants all three nodes: this one goes, and node3 must be idle again.
    await flow.shutdown();
    await asyncflow(["pilot", "cancel", pilotDir]);
    await until(
      () =>
        onCluster("sinfo", ["-h", "-N", "-t", "idle", "-o", "%N"]).trim().split("\n").length === 3,
      "three idle nodes again",
      90_000,
    );
  }
});
