/**
 * A node lost mid-run on the 3-node cluster: six one-core commands fill the three nodes of a
 * pilot, then node3's link is cut (`ip -n af3-node3 link set eth0 down`). The agent hears no
 * heartbeat from node3's executor, fails the two commands that ran there with NodeLostError
 * naming node3, places nothing more there, and the engine's retry policy reruns them on node1
 * and node2: the campaign finishes. The link is brought back up afterwards.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { type TaskEvent, WorkflowEngine } from "../../mod.ts";
import { RemoteBackend } from "../../backends/remote/mod.ts";
import { multinodeEnv, multinodeMode, multinodeSkipReason, runtime } from "./_multinode.ts";

const skip = multinodeSkipReason() ??
  (multinodeMode() === "netns" ? undefined : "cutting a node's link needs the netns mode");
if (skip) console.log(`SKIP node-loss test: ${skip}`);
const cli = fileURLToPath(new URL("../../cli/main.ts", import.meta.url));
const NODE3_NS = "af3-node3";

function asyncflow(args: string[]): Promise<string> {
  const argv = runtime === "deno" ? ["run", "-A", cli, ...args] : [cli, ...args];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, argv, { env: multinodeEnv }, (error, stdout, stderr) => {
      if (error) reject(new Error(`asyncflow ${args.join(" ")}: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** Polls for a condition that no event announces (files on the shared filesystem). */
async function until(check: () => boolean, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const link = (state: "up" | "down") =>
  execFileSync("ip", ["-n", NODE3_NS, "link", "set", "eth0", state], { stdio: "pipe" });

describe(skip ? `losing a node mid-run (skipped: ${skip})` : "losing a node mid-run", () => {
  let work = "";
  let pilotDir = "";
  let flow: WorkflowEngine | undefined;

  before(() => {
    if (skip) return;
    work = mkdtempSync(join(tmpdir(), "asyncflow-mn-loss-"));
    pilotDir = join(work, "pilot");
  });
  after(async () => {
    if (skip) return;
    link("up");
    await flow?.shutdown();
    if (existsSync(join(pilotDir, "pilot.json"))) {
      await asyncflow(["pilot", "cancel", pilotDir]).catch(() => {});
    }
    rmSync(work, { recursive: true, force: true });
  });

  it(
    "fails node3's commands with NodeLostError, retries them on the other nodes, and finishes",
    { skip, timeout: 150_000 },
    async () => {
      await asyncflow([
        ...["pilot", "submit", "--dir", pilotDir, "--nodes", "3", "--walltime", "10"],
        ...["--job-name", "asyncflow-mn-loss", "--wait", "--timeout", "90"],
      ]);
      flow = await WorkflowEngine.create({
        backend: RemoteBackend.fromEndpointFile(join(pilotDir, "endpoint.json")),
      });
      const retried: TaskEvent[] = [];
      flow.subscribe((e) => {
        if (e.type === "retried") retried.push(e);
      });
      const started = join(work, "started");
      const go = join(work, "go");
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
          retries: { attempts: 2, retryOn: (e) => (e as Error).name === "NodeLostError" },
        },
      );
      const results = [0, 1, 2, 3, 4, 5].map((i) => step(i));
      await until(() => readdirSync(started).length === 6, "six commands on the three nodes");
      const firstNodes = readdirSync(started).map((f) => f.split("-")[1]).sort();
      assert.deepEqual(firstNodes, ["node1", "node1", "node2", "node2", "node3", "node3"]);

      link("down");
      await until(() => retried.length === 2, "the two commands of node3 to be retried");
      link("up");
      for (const e of retried) {
        assert.equal(e.error?.name, "NodeLostError");
        assert.match(e.error!.message, /node node3 was lost \(no heartbeat for \d+ ms\)/);
      }
      writeFileSync(go, "");
      const nodes = (await Promise.all(results)).map((s) => s.trim());
      assert.equal(nodes.length, 6);
      assert.ok(!nodes.includes("node3"), `no result from node3: ${nodes.join(", ")}`);
      const lostIds = new Set(retried.map((e) => e.uid));
      assert.equal(lostIds.size, 2, "two different tasks were retried");

      // Nothing more goes to node3, though its link is back: new work fills node1 and node2.
      const more = await Promise.all([6, 7, 8, 9].map((i) => step(i)));
      assert.deepEqual(more.map((s) => s.trim()).sort(), ["node1", "node1", "node2", "node2"]);
      const attempts = readdirSync(started).filter((f) => f.includes("-node3-")).length;
      assert.equal(attempts, 2, "node3 got only its first two commands");
      assert.ok(readFileSync(join(pilotDir, "pilot.out"), "utf8").includes("node node3 was lost"));
    },
  );
});
