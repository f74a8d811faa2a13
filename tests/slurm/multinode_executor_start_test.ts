/**
 * One node's executor cannot start, on the 3-node cluster: node3 does not see the executor's
 * source (an empty directory is bind-mounted over agent/executor inside node3's mount namespace,
 * as when a node misses a filesystem). The pilot starts anyway with node3 lost: /v1/metrics and
 * the pilot's output name it, commands run on node1 and node2, and a task that only the three
 * nodes together could hold fails at once naming node3.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { WorkflowEngine } from "../../mod.ts";
import { RemoteBackend } from "../../backends/remote/mod.ts";
import { readEndpointFile } from "../../backends/remote/connection.ts";
import { agentFetch } from "../../backends/remote/http.ts";
import { asyncflow, multinodeMode, multinodeSkipReason } from "./_multinode.ts";

const skip = multinodeSkipReason() ??
  (multinodeMode() === "netns" ? undefined : "a mount on one node only needs the netns mode");
if (skip) console.log(`SKIP executor start test: ${skip}`);
const executorDir = fileURLToPath(new URL("../../agent/executor", import.meta.url));
const ROOT = process.env.ASYNCFLOW_MULTINODE_ROOT ?? "/var/lib/asyncflow-multinode";

/** Runs a command in node3's mount namespace (that of its slurmd, which its steps inherit). */
function onNode3(args: string[]): void {
  const slurmd = readFileSync(`${ROOT}/run/slurmd-node3.pid`, "utf8").trim();
  execFileSync("nsenter", ["-t", slurmd, "-m", ...args], { stdio: "pipe" });
}

describe(
  skip
    ? `a node whose executor cannot start (skipped: ${skip})`
    : "a node whose executor cannot start",
  () => {
    let work = "";
    let mounted = false;
    let flow: WorkflowEngine | undefined;
    const unmount = () => {
      if (mounted) onNode3(["umount", executorDir]);
      mounted = false;
    };

    before(() => {
      if (skip) return;
      work = mkdtempSync(join(tmpdir(), "asyncflow-mn-exstart-"));
    });
    after(async () => {
      if (skip) return;
      unmount();
      await flow?.shutdown();
      await asyncflow(["pilot", "cancel", join(work, "pilot")]).catch(() => {});
      rmSync(work, { recursive: true, force: true });
    });

    it(
      "the pilot starts with that node lost, runs on the others and names it",
      { skip, timeout: 120_000 },
      async () => {
        const empty = join(work, "empty");
        mkdirSync(empty);
        onNode3(["mount", "--bind", empty, executorDir]);
        mounted = true;
        const pilotDir = join(work, "pilot");
        await asyncflow([
          ...["pilot", "submit", "--dir", pilotDir, "--nodes", "3", "--walltime", "10"],
          ...["--job-name", "asyncflow-mn-exstart", "--wait", "--timeout", "90"],
        ]);
        unmount(); // the agent tried its executors before it wrote its endpoint
        const out = readFileSync(join(pilotDir, "pilot.out"), "utf8");
        assert.match(
          out,
          /node node3 was lost \(its executor's step ended with code \d+ before the executor was ready/,
        );

        const endpoint = readEndpointFile(join(pilotDir, "endpoint.json"));
        const metrics = await (await agentFetch(endpoint, "/v1/metrics", {})).json();
        assert.deepEqual(metrics.lostNodes, ["node3"]);

        flow = await WorkflowEngine.create({
          backend: RemoteBackend.fromEndpointFile(join(pilotDir, "endpoint.json")),
        });
        // Four one-core commands that meet at a barrier: they finish only if all run at once,
        // which only node1 and node2 together can hold.
        const met = join(work, "met");
        mkdirSync(met);
        const where = flow.executableTask((i: number) => [
          "sh",
          "-c",
          `touch ${met}/${i}; w=0; ` +
          `while [ $(ls ${met} | wc -l) -lt 4 ] && [ $w -lt 300 ]; do sleep 0.1; w=$((w+1)); done; ` +
          `[ $w -lt 300 ] && echo $SLURMD_NODENAME`,
        ]);
        const nodes = (await Promise.all([0, 1, 2, 3].map((i) => where(i))))
          .map((s) => s.trim()).sort();
        assert.deepEqual(nodes, ["node1", "node1", "node2", "node2"]);

        // Six ranks fit only on all three nodes: refused at once, with the lost node named.
        const wide = flow.executableTask(() => ["true"], { resources: { ranks: 6 } });
        await assert.rejects(
          wide(),
          /holds at most 4 such ranks; it could run only with the lost node node3/,
        );
      },
    );
  },
);
