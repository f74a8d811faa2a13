/**
 * A pilot's walltime on the 3-node cluster, with a real Slurm time limit: a one-minute pilot
 * whose agent drains 45 s and cuts 35 s before its end (so the test takes about 25 s). The agent
 * learns the end from Slurm; a task that declares more walltime than is left is refused; at the
 * drain the waiting task is cancelled, at the cut the running one — both as the pilot's end
 * (CancelledError caused by a WalltimeError), so no retry is spent on them.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { CancelledError, type TaskEvent, WorkflowEngine } from "../../mod.ts";
import { RemoteBackend } from "../../backends/remote/mod.ts";
import { readEndpointFile } from "../../backends/remote/connection.ts";
import { agentFetch } from "../../backends/remote/http.ts";
import { parseSlurmTime } from "../../agent/pilot/walltime.ts";
import { multinodeEnv, multinodeSkipReason, onCluster, runtime } from "./_multinode.ts";

const skip = multinodeSkipReason();
if (skip) console.log(`SKIP walltime test: ${skip}`);
const cli = fileURLToPath(new URL("../../cli/main.ts", import.meta.url));

function asyncflow(args: string[]): Promise<string> {
  const argv = runtime === "deno" ? ["run", "-A", cli, ...args] : [cli, ...args];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, argv, { env: multinodeEnv }, (error, stdout, stderr) => {
      if (error) reject(new Error(`asyncflow ${args.join(" ")}: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

const cutBy = (message: RegExp) => (e: unknown) =>
  e instanceof CancelledError && (e.cause as Error)?.name === "WalltimeError" &&
  message.test((e.cause as Error).message);

describe(skip ? `a pilot's walltime (skipped: ${skip})` : "a pilot's walltime", () => {
  let work = "";
  let flow: WorkflowEngine | undefined;
  before(() => {
    if (skip) return;
    work = mkdtempSync(join(tmpdir(), "asyncflow-mn-walltime-"));
  });
  after(async () => {
    if (skip) return;
    await flow?.shutdown();
    await asyncflow(["pilot", "cancel", join(work, "pilot")]).catch(() => {});
    rmSync(work, { recursive: true, force: true });
  });

  it(
    "knows its end from Slurm, refuses what cannot fit, drains, then cuts",
    { skip, timeout: 120_000 },
    async () => {
      const pilotDir = join(work, "pilot");
      await asyncflow([
        ...["pilot", "submit", "--dir", pilotDir, "--nodes", "1", "--walltime", "1"],
        ...["--drain-margin", "45", "--cut-margin", "35"],
        ...["--job-name", "asyncflow-mn-walltime", "--wait", "--timeout", "90"],
      ]);
      const jobId = JSON.parse(readFileSync(join(pilotDir, "pilot.json"), "utf8")).jobId;
      const slurmEnd = parseSlurmTime(
        onCluster("squeue", ["-h", "-j", jobId, "-o", "%e"]).trim(),
        "end",
      );
      const endpoint = readEndpointFile(join(pilotDir, "endpoint.json"));
      const metrics = await (await agentFetch(endpoint, "/v1/metrics", {})).json();
      assert.equal(metrics.walltime.endsAt, new Date(slurmEnd!).toISOString(), "Slurm's end");
      assert.equal(metrics.walltime.draining, false);

      flow = await WorkflowEngine.create({
        backend: RemoteBackend.fromEndpointFile(join(pilotDir, "endpoint.json")),
      });
      const retried: TaskEvent[] = [];
      flow.subscribe((e) => {
        if (e.type === "retried") retried.push(e);
      });
      const cmd = flow.executableTask((what: string) => ["sh", "-c", what], {
        resources: { coresPerRank: 2 }, // the node's two cores: one task at a time
        retries: 3,
      });
      const tooLong = await cmd.with({ resources: { walltimeMs: 60_000 } })("true")
        .then(() => undefined, (e: Error) => e);
      assert.equal(tooLong?.name, "WalltimeError");
      assert.match(
        tooLong!.message,
        /declares a walltime of 60 s, but this pilot's allocation ends at/,
      );

      const sleeper = cmd("sleep 300");
      const waiter = cmd("echo never");
      await assert.rejects(waiter, cutBy(/was not started: this pilot drains/));
      assert.equal(sleeper.state, "RUNNING");
      await assert.rejects(sleeper, cutBy(/was cut by the end of this pilot's allocation/));
      assert.ok(Date.now() < slurmEnd!, "cut before Slurm's end");
      const ours = retried.filter((e) => e.uid === sleeper.uid || e.uid === waiter.uid);
      assert.deepEqual(ours, [], "the pilot's end is not the tasks' failure");
    },
  );
});
