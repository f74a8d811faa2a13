/**
 * A pilot that Slurm can never start fails at once with the reason, on the 3-node cluster: a
 * partition of its own (hidden, made for this test and deleted after it) allows 2 nodes, and the
 * pilot asks for 3, so Slurm keeps it pending with reason PartitionNodeLimit.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { multinodeEnv, multinodeSkipReason, onCluster, runtime } from "./_multinode.ts";

const skip = multinodeSkipReason();
if (skip) console.log(`SKIP never-start test: ${skip}`);
const cli = fileURLToPath(new URL("../../cli/main.ts", import.meta.url));
const partition = `af3-small-${process.pid}`;

/** `asyncflow <args>` on this runtime; its exit code, stdout and stderr. */
function asyncflow(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const argv = runtime === "deno" ? ["run", "-A", cli, ...args] : [cli, ...args];
  return new Promise((resolve) => {
    execFile(process.execPath, argv, { env: multinodeEnv }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe(
  skip ? `a pilot that can never start (skipped: ${skip})` : "a pilot that can never start",
  () => {
    let work = "";
    before(() => {
      if (skip) return;
      work = mkdtempSync(join(tmpdir(), "asyncflow-mn-never-"));
      onCluster("scontrol", [
        "create",
        `PartitionName=${partition}`,
        "Nodes=node1,node2,node3",
        "MaxNodes=2",
        "Hidden=YES",
      ]);
    });
    after(() => {
      if (skip) return;
      onCluster("scontrol", ["delete", `PartitionName=${partition}`]);
      rmSync(work, { recursive: true, force: true });
    });

    it(
      "pilot submit --wait stops at the first look with Slurm's reason, and cancels the job",
      // --wait would wait 600 s; the test's own limit proves that it did not.
      { skip, timeout: 60_000 },
      async () => {
        const pilotDir = join(work, "pilot");
        const r = await asyncflow([
          ...["pilot", "submit", "--dir", pilotDir, "--nodes", "3", "--walltime", "5"],
          ...["-p", partition, "--job-name", "asyncflow-mn-never", "--wait", "--timeout", "600"],
        ]);
        assert.equal(r.code, 1, r.stdout + r.stderr);
        const jobId = JSON.parse(readFileSync(join(pilotDir, "pilot.json"), "utf8")).jobId;
        assert.match(
          r.stderr,
          new RegExp(
            `can never start: job ${jobId} is pending with reason \\(?PartitionNodeLimit\\)? ` +
              `\\(it asks for more nodes than its partition allows\\).*job ${jobId} was cancelled`,
          ),
        );
        // scancel is synchronous for a pending job: squeue shows it cancelled, or not at all.
        const state = onCluster("squeue", ["-h", "-t", "all", "-j", jobId, "-o", "%T"]).trim();
        assert.ok(state === "" || state === "CANCELLED", `job ${jobId} is ${state}`);
      },
    );
  },
);
