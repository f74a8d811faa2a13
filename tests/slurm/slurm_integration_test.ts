/**
 * The pilot on a real Slurm cluster: sbatch starts the agent, the client connects from the
 * endpoint file, commands run as srun job steps (an MPI hello on 2 ranks among them), and
 * scancel ends it all. Needs a cluster that answers `sinfo` (scripts/slurm/setup.sh starts a
 * one-node cluster); skipped visibly otherwise. The Slurm part runs under one runtime only
 * (deno by default; ASYNCFLOW_SLURM_TEST_RUNTIME=bun|node|all changes it) to keep CI short.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { WorkflowEngine } from "../../mod.ts";
import { RemoteBackend } from "../../backends/remote/mod.ts";
import { cancelPilot, pilotStatus, submitPilot, waitForEndpoint } from "../../agent/pilot/mod.ts";
import type { PilotInfo } from "../../agent/pilot/mod.ts";
import { runtime as runtimeOf } from "../../src/host/runtime.ts";

const runtime = runtimeOf;
const wanted = process.env.ASYNCFLOW_SLURM_TEST_RUNTIME ?? "deno";

function run(file: string, args: string[], timeout = 15_000): string {
  return execFileSync(file, args, { encoding: "utf8", timeout, stdio: "pipe" });
}

function skipReason(): string | undefined {
  if (wanted !== "all" && wanted !== runtime) {
    return `runs under ${wanted} only, to keep CI short (ASYNCFLOW_SLURM_TEST_RUNTIME=all runs it everywhere)`;
  }
  try {
    // A live controller answers in milliseconds; a dead one makes sinfo wait for its timeout.
    const states = run("sinfo", ["-h", "-o", "%T"], 5_000).trim();
    if (!/idle|mixed|allocated/.test(states)) {
      return `Slurm has no usable node (sinfo: '${states}')`;
    }
  } catch (error) {
    const e = error as Error & { stderr?: string; code?: string };
    const why = e.code === "ENOENT"
      ? "not installed"
      : (e.stderr?.trim() || e.message).split("\n")[0];
    return `no Slurm cluster answers 'sinfo' (${why}); ` +
      "scripts/slurm/setup.sh starts one";
  }
  return undefined;
}

function mpiSkipReason(): string | undefined {
  try {
    run("mpicc", ["-show"]);
    return undefined;
  } catch {
    return "mpicc not found (apt-get install mpich libmpich-dev)";
  }
}

const skip = skipReason();
const mpiSkip = skip ?? mpiSkipReason();
if (skip) console.log(`SKIP Slurm integration test: ${skip}`);

describe(
  skip ? `Slurm pilot on a real cluster (skipped: ${skip})` : "Slurm pilot on a real cluster",
  () => {
    let work = "";
    let pilot: PilotInfo | undefined;
    let flow: WorkflowEngine | undefined;
    let hello = "";

    before(() => {
      if (skip) return;
      work = mkdtempSync(join(tmpdir(), "asyncflow-slurm-"));
      if (!mpiSkip) {
        hello = join(work, "mpi_hello");
        run("mpicc", [
          "-o",
          hello,
          fileURLToPath(new URL("./fixtures/mpi_hello.c", import.meta.url)),
        ]);
      }
    });

    after(async () => {
      await flow?.shutdown();
      if (pilot && (await pilotStatus(pilot.pilotDir)).active) await cancelPilot(pilot.pilotDir);
      if (work) rmSync(work, { recursive: true, force: true });
    });

    it(
      "submits a pilot with sbatch and connects from its endpoint file",
      { skip, timeout: 90_000 },
      async () => {
        pilot = await submitPilot({
          nodes: 1,
          walltime: "10",
          pilotDir: join(work, "pilot"),
          jobName: "asyncflow-ci",
          // MPICH finds its ranks through Slurm's PMI2 (the test cluster's MpiDefault is none).
          env: { SLURM_MPI_TYPE: "pmi2" },
        });
        assert.match(pilot.jobId, /^\d+$/);
        const endpoint = await waitForEndpoint(pilot.pilotDir, {
          timeoutMs: 60_000,
          jobCheckMs: 1_000,
        });
        // The default pilot serves HTTPS on its node's address, pinned through endpoint.json.
        assert.match(endpoint.url, /^https:\/\//);
        const status = await pilotStatus(pilot.pilotDir);
        assert.equal(status.state, "RUNNING");
        assert.equal(status.url, endpoint.url);
        const backend = await RemoteBackend.fromEndpointFile(join(pilot.pilotDir, "endpoint.json"));
        flow = await WorkflowEngine.create({ backends: [backend] });
      },
    );

    it(
      "runs executables in the pilot's job, forked by the node's executor (one job step)",
      { skip, timeout: 60_000 },
      async () => {
        assert.ok(flow && pilot, "the pilot is up");
        const host = flow.executableTask(() => "hostname");
        assert.equal((await host()).trim(), hostname());
        // SLURM_STEP_ID is set only inside a job step: these ran in the node executor's step.
        const step = flow.executableTask((_i: number) => 'echo "$SLURM_JOB_ID $SLURM_STEP_ID"');
        const lines = (await Promise.all([1, 2, 3].map((i) => step(i)))).map((s) => s.trim());
        const steps = new Set<string>();
        for (const line of lines) {
          const [job, stepId] = line.split(" ");
          assert.equal(job, pilot.jobId, `'${line}' runs in the pilot's job`);
          assert.match(stepId ?? "", /^\d+$/, `'${line}' has a step id`);
          steps.add(stepId as string);
        }
        assert.equal(steps.size, 1, `one step, the executor's, got ${lines.join(", ")}`);
        const fails = flow.executableTask(() => "exit 3");
        await assert.rejects(fails(), (e: Error & { exitCode?: number }) => {
          assert.match(`${e.exitCode ?? ""} ${e.message}`, /\b3\b/);
          return true;
        });
      },
    );

    it("runs an MPI hello on 2 ranks", { skip: mpiSkip, timeout: 60_000 }, async () => {
      assert.ok(flow, "the pilot is up");
      const mpi = flow.executableTask(() => [hello], { resources: { ranks: 2, coresPerRank: 1 } });
      const lines = (await mpi()).trim().split("\n").sort();
      assert.deepEqual(lines, [
        `rank 0 of 2 on ${hostname()} sum 1`,
        `rank 1 of 2 on ${hostname()} sum 1`,
      ]);
    });

    it("cancels the pilot; squeue shows it gone", { skip, timeout: 60_000 }, async () => {
      assert.ok(flow && pilot, "the pilot is up");
      await flow.shutdown();
      flow = undefined;
      assert.equal(await cancelPilot(pilot.pilotDir), pilot.jobId);
      // No event tells when Slurm has reaped the job: poll squeue with a deadline.
      const deadline = Date.now() + 30_000;
      let listed = run("squeue", ["-h", "-j", pilot.jobId, "-o", "%T"]).trim();
      while (listed !== "" && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        listed = run("squeue", ["-h", "-j", pilot.jobId, "-o", "%T"]).trim();
      }
      assert.equal(listed, "", `squeue still lists job ${pilot.jobId}`);
      const status = await pilotStatus(pilot.pilotDir);
      assert.equal(status.active, false);
      assert.match(status.state, /CANCELLED|ENDED/);
    });
  },
);
