/**
 * A pilot's state from Slurm's own tools: `squeue` first, then `sacct`, then the files the batch
 * script leaves in the pilot directory (clusters without accounting storage forget a job a few
 * minutes after it ends).
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { PILOT_FILES } from "./batch_script.ts";
import { resolvePilot } from "./_pilot_ref.ts";
import { runSlurm, type SlurmCliOptions, slurmError } from "./_slurm_cli.ts";

/** Where a pilot stands. */
export interface PilotStatus {
  /** Slurm's job id. */
  jobId: string;
  /**
   * Slurm's job state (`PENDING`, `RUNNING`, `COMPLETING`, `COMPLETED`, `FAILED`, `CANCELLED`,
   * `TIMEOUT`, …), or `ENDED` when Slurm has forgotten the job and the pilot directory only shows
   * that it is gone, or `UNKNOWN` when nothing is known at all.
   */
  state: string;
  /** True while the job is queued or runs. */
  active: boolean;
  /** Which source answered. */
  source: "squeue" | "sacct" | "files";
  /** The job's nodes while it runs, when squeue tells. */
  nodes?: string;
  /** Why the job waits (pending), when squeue tells. */
  reason?: string;
  /** The agent's URL, once it has written `endpoint.json` (the token is not repeated here). */
  url?: string;
  /** The agent's exit status, from `exit_code`, once it has ended. */
  exitCode?: number;
}

const ACTIVE = new Set([
  "PENDING",
  "CONFIGURING",
  "RUNNING",
  "COMPLETING",
  "SUSPENDED",
  "REQUEUED",
  "RESIZING",
  "SIGNALING",
  "STAGE_OUT",
  "STOPPED",
]);

/**
 * Asks Slurm where a pilot stands and reads what its directory says.
 *
 * @param pilot A pilot directory (with `pilot.json`) or a job id.
 * @param options Where Slurm's tools are.
 * @throws {Error} When `pilot` is neither, or `squeue` fails for another reason than an unknown job.
 *
 * @example
 * ```ts ignore
 * import { pilotStatus } from "./status.ts";
 * const s = await pilotStatus("/scratch/me/p1");
 * if (s.state === "RUNNING" && s.url) console.log(`agent at ${s.url}`);
 * ```
 */
export async function pilotStatus(
  pilot: string,
  options: SlurmCliOptions = {},
): Promise<PilotStatus> {
  const { jobId, pilotDir } = await resolvePilot(pilot);
  const files = pilotDir === undefined ? {} : await readPilotFiles(pilotDir);
  // -t all: squeue also lists jobs that ended recently (MinJobAge), with their final state.
  const args = ["-h", "-t", "all", "-j", jobId, "-o", "%T|%N|%R"];
  const q = await runSlurm("squeue", args, options);
  if (q.exitCode === 0 && q.stdout.trim() !== "") {
    const [state = "UNKNOWN", nodes = "", reason = ""] = q.stdout.trim().split("\n")[0]!.split("|");
    const status: PilotStatus = {
      jobId,
      state,
      active: ACTIVE.has(state),
      source: "squeue",
      ...files,
    };
    if (state === "PENDING") status.reason = reason;
    else if (nodes !== "") status.nodes = nodes;
    return status;
  }
  if (q.exitCode !== 0 && !/invalid job id/i.test(q.stderr)) throw slurmError("squeue", args, q);
  const fromSacct = await sacctState(jobId, options);
  if (fromSacct !== undefined) {
    return { jobId, state: fromSacct, active: ACTIVE.has(fromSacct), source: "sacct", ...files };
  }
  // Slurm no longer knows the job: it ended. The batch script records how the agent ended;
  // without that record it was cancelled, timed out or never started.
  const state = pilotDir === undefined
    ? "UNKNOWN"
    : files.exitCode === undefined
    ? "ENDED"
    : files.exitCode === 0
    ? "COMPLETED"
    : "FAILED";
  return { jobId, state, active: false, source: "files", ...files };
}

async function sacctState(jobId: string, options: SlurmCliOptions): Promise<string | undefined> {
  try {
    const r = await runSlurm("sacct", ["-n", "-X", "-P", "-j", jobId, "-o", "State"], options);
    // With AccountingStorageType=accounting_storage/none sacct fails: fall through to the files.
    const state = r.exitCode === 0 ? r.stdout.trim().split("\n")[0]?.split(" ")[0] : undefined;
    return state ? state : undefined;
  } catch {
    return undefined; // no sacct on this machine
  }
}

async function readPilotFiles(dir: string): Promise<{ url?: string; exitCode?: number }> {
  const out: { url?: string; exitCode?: number } = {};
  try {
    const endpoint = JSON.parse(await readFile(join(dir, PILOT_FILES.endpoint), "utf8"));
    if (typeof endpoint?.url === "string") out.url = endpoint.url;
  } catch {
    // not written yet
  }
  try {
    const code = (await readFile(join(dir, PILOT_FILES.exitCode), "utf8")).trim();
    if (/^\d+$/.test(code)) out.exitCode = Number(code);
  } catch {
    // still running, or ended without the script's epilogue
  }
  return out;
}
