/**
 * Submits a pilot: writes its batch script into the pilot directory and hands it to `sbatch`.
 *
 * @module
 */
import { access, chmod, mkdir, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { host } from "../../src/host/mod.ts";
import { type BatchScriptOptions, PILOT_FILES, writeBatchScript } from "./batch_script.ts";
import { runSlurm, type SlurmCliOptions, slurmError } from "./_slurm_cli.ts";
import { pilotStatus } from "./status.ts";

/** What {@linkcode submitPilot} needs: the batch script's options, the agent command optional. */
export type SubmitOptions =
  & Omit<BatchScriptOptions, "agentCommand" | "pilotDir">
  & SlurmCliOptions
  & {
    /** The pilot directory; created (mode 0700: the agent's token goes there). Made absolute. */
    pilotDir: string;
    /** The agent's argv; default {@linkcode defaultAgentCommand} with `launch`. */
    agentCommand?: readonly string[];
    /** The agent's launch method when `agentCommand` is not given; default `srun`. */
    launch?: "fork" | "srun" | "mpiexec";
    /** More agent arguments after the default command, e.g. `["--module", "tasks=/home/me/tasks.ts"]`. */
    agentArgs?: readonly string[];
    /** How clients reach the agent when `agentCommand` is not given; default `cluster` (see {@linkcode AgentReach}). */
    reach?: AgentReach;
  };

/**
 * How clients reach a pilot's agent. `cluster`: it listens on its node's address on the cluster
 * network, with HTTPS on a certificate it makes at start-up; `endpoint.json` carries that
 * certificate and its fingerprint with the token, and `RemoteBackend.fromEndpointFile` pins it —
 * a client on a login node connects directly. `loopback`: 127.0.0.1 of its node only, plain HTTP;
 * reach it with `ssh -L` or from inside the job.
 */
export type AgentReach = "cluster" | "loopback";

/** A submitted pilot, as recorded in `pilot.json` in its directory. */
export interface PilotInfo {
  /** Slurm's job id. */
  jobId: string;
  /** The absolute pilot directory. */
  pilotDir: string;
  /** The batch script's path. */
  script: string;
  /** Nodes asked for. */
  nodes: number;
  /** Walltime asked for. */
  walltime: string;
  /** ISO time of the submission. */
  submittedAt: string;
}

/**
 * The command that starts the agent with the runtime this process runs on:
 * `<runtime> [run -A] <asyncflow>/agent/main.ts --dir <pilotDir> --endpoint-file
 * <pilotDir>/endpoint.json --launch <launch>`, then `--listen node:0 --tls-self-signed` (reach
 * `cluster`) or `--listen 127.0.0.1:0` (reach `loopback`). The runtime's path and the source
 * tree must be reachable at the same paths on the compute nodes (a shared filesystem).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultAgentCommand } from "@asyncflow/asyncflow/agent/pilot";
 * const argv = defaultAgentCommand("/scratch/p1", "srun");
 * assert.deepEqual(argv.slice(-5), ["--launch", "srun", "--listen", "node:0", "--tls-self-signed"]);
 * const loopback = defaultAgentCommand("/scratch/p1", "srun", "loopback");
 * assert.deepEqual(loopback.slice(-2), ["--listen", "127.0.0.1:0"]);
 * ```
 */
export function defaultAgentCommand(
  pilotDir: string,
  launch = "srun",
  reach: AgentReach = "cluster",
): string[] {
  if (reach !== "cluster" && reach !== "loopback") {
    throw new RangeError(`'reach' must be cluster or loopback, got ${JSON.stringify(reach)}`);
  }
  const main = fileURLToPath(new URL("../main.ts", import.meta.url));
  const runtime = host.runtime === "deno" ? [process.execPath, "run", "-A"] : [process.execPath];
  return [
    ...runtime,
    main,
    "--dir",
    pilotDir,
    "--endpoint-file",
    join(pilotDir, PILOT_FILES.endpoint),
    "--launch",
    launch,
    ...(reach === "cluster"
      ? ["--listen", "node:0", "--tls-self-signed"]
      : ["--listen", "127.0.0.1:0"]),
  ];
}

/**
 * Makes way for a new pilot in a directory that held one (whose node died, say: the new agent
 * recovers from the journal there). Two live agents on one journal would corrupt it, so a pilot
 * that still runs or waits is refused; a `COMPLETING` one is ending (Slurm waits for a lost node).
 * The dead agent's endpoint and exit files go, so that nobody takes them for the new agent's.
 */
async function replacePilot(pilotDir: string, options: SlurmCliOptions): Promise<void> {
  const info = join(pilotDir, PILOT_FILES.info);
  if (!await access(info).then(() => true, () => false)) return;
  const old = await pilotStatus(pilotDir, options);
  if (old.active && old.state !== "COMPLETING") {
    throw new Error(
      `the pilot in ${pilotDir} (job ${old.jobId}) is still ${old.state}: cancel it first ` +
        `('asyncflow pilot cancel ${pilotDir}') or give another directory`,
    );
  }
  await rm(join(pilotDir, PILOT_FILES.endpoint), { force: true });
  await rm(join(pilotDir, PILOT_FILES.exitCode), { force: true });
}

/**
 * Writes the pilot's batch script and submits it with `sbatch --parsable`.
 *
 * @param options Nodes, walltime, pilot directory and the rest of {@linkcode BatchScriptOptions}.
 * @returns The job id and where the pilot's files are; `pilot.json` holds the same.
 * @throws {RangeError} On invalid options (before anything is written or submitted).
 * @throws {Error} When `sbatch` fails, with what it printed, or when the directory's previous
 * pilot still runs.
 *
 * @example
 * ```ts ignore
 * import { submitPilot, waitForEndpoint } from "./mod.ts";
 * const pilot = await submitPilot({ nodes: 2, walltime: "30", pilotDir: "/scratch/me/p1" });
 * const { url, token } = await waitForEndpoint(pilot.pilotDir, { timeoutMs: 600_000 });
 * ```
 */
export async function submitPilot(options: SubmitOptions): Promise<PilotInfo> {
  const pilotDir = resolve(options.pilotDir);
  const agentCommand = options.agentCommand ??
    [...defaultAgentCommand(pilotDir, options.launch, options.reach), ...(options.agentArgs ?? [])];
  const script = writeBatchScript({ ...options, pilotDir, agentCommand });
  await mkdir(pilotDir, { recursive: true, mode: 0o700 });
  await chmod(pilotDir, 0o700);
  await replacePilot(pilotDir, options);
  const scriptPath = join(pilotDir, PILOT_FILES.script);
  await writeFile(scriptPath, script, { mode: 0o700 });
  const args = ["--parsable", scriptPath];
  const r = await runSlurm("sbatch", args, options);
  // --parsable prints "<jobid>" or "<jobid>;<cluster>".
  const jobId = r.stdout.trim().split(";")[0] ?? "";
  if (r.exitCode !== 0 || !/^\d+$/.test(jobId)) throw slurmError("sbatch", args, r);
  const info: PilotInfo = {
    jobId,
    pilotDir,
    script: scriptPath,
    nodes: options.nodes,
    walltime: options.walltime,
    submittedAt: new Date().toISOString(),
  };
  await writeFile(join(pilotDir, PILOT_FILES.info), JSON.stringify(info, null, 2) + "\n");
  return info;
}
