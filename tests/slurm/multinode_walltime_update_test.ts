/**
 * A pilot's time limit changed while its job runs (`scontrol update JobId=… TimeLimit=…`), on the
 * 3-node cluster: the agent asks Slurm again (every minute, and at once on
 * `POST /v1/walltime/refresh`) and follows the new end. Extended from 5 to 10 minutes, its end
 * moves by 5 minutes and it goes on serving; cut down to 1 minute, with a drain margin of 59 s,
 * it drains at once: a task that arrives then is cancelled for walltime, not run. About 10 s.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CancelledError, WorkflowEngine } from "../../mod.ts";
import { RemoteBackend } from "../../backends/remote/mod.ts";
import { readEndpointFile } from "../../backends/remote/connection.ts";
import { agentFetch } from "../../backends/remote/http.ts";
import { parseSlurmTime } from "../../agent/pilot/walltime.ts";
import { asyncflow, multinodeSkipReason, onCluster } from "./_multinode.ts";

const skip = multinodeSkipReason();
if (skip) console.log(`SKIP walltime update test: ${skip}`);

describe(
  skip
    ? `a time limit changed while the pilot runs (skipped: ${skip})`
    : "a time limit changed while the pilot runs",
  () => {
    let work = "";
    before(() => {
      if (skip) return;
      work = mkdtempSync(join(tmpdir(), "asyncflow-mn-walltime-"));
    });
    after(async () => {
      if (skip) return;
      await asyncflow(["pilot", "cancel", join(work, "pilot")]).catch(() => {});
      rmSync(work, { recursive: true, force: true });
    });

    it("is followed by the agent: a later end moves it, a shorter one drains it", {
      skip,
      timeout: 100_000,
    }, async () => {
      const dir = join(work, "pilot");
      await asyncflow([
        ...["pilot", "submit", "--dir", dir, "--nodes", "1", "--walltime", "5"],
        ...["--drain-margin", "59", "--cut-margin", "5", "--job-name", "asyncflow-mn-walltime"],
        ...["--wait", "--timeout", "90"],
      ]);
      const jobId = JSON.parse(readFileSync(join(dir, "pilot.json"), "utf8")).jobId as string;
      const endpoint = readEndpointFile(join(dir, "endpoint.json"));
      const slurmEnd = () =>
        new Date(
          parseSlurmTime(onCluster("squeue", ["-h", "-j", jobId, "-o", "%e"]).trim(), "end")!,
        )
          .toISOString();
      const refresh = async () =>
        (await (await agentFetch(endpoint, "/v1/walltime/refresh", { method: "POST" })).json())
          .walltime;
      const first = slurmEnd();
      assert.equal((await refresh()).endsAt, first);

      onCluster("scontrol", ["update", `JobId=${jobId}`, "TimeLimit=10"]);
      const extended = await refresh();
      assert.equal(extended.endsAt, slurmEnd(), "Slurm's new end");
      assert.equal(Date.parse(extended.endsAt) - Date.parse(first), 5 * 60_000);
      assert.equal(extended.draining, false);

      // One minute in all: the drain (59 s before the end) is past; the cut (5 s) is not yet.
      onCluster("scontrol", ["update", `JobId=${jobId}`, "TimeLimit=1"]);
      const shortened = await refresh();
      assert.equal(shortened.endsAt, slurmEnd());
      assert.equal(shortened.draining, true, JSON.stringify(shortened));
      await using flow = await WorkflowEngine.create({
        backend: RemoteBackend.fromEndpointFile(join(dir, "endpoint.json")),
      });
      const task = flow.executableTask(() => ["true"]);
      const error = await task().then(() => undefined, (e: unknown) => e);
      assert.ok(error instanceof CancelledError, String(error));
      assert.equal((error.cause as Error).name, "WalltimeError");
      assert.match((error.cause as Error).message, /this pilot drains/);
    });
  },
);
