/**
 * The pilot's job ending before its time: Slurm sends the agent SIGTERM when the job is cancelled
 * (`scancel`), preempted or reaches its time limit, and kills it `KillWait` seconds later (30 by
 * default). In that time the agent reports its unfinished tasks as cancelled with a
 * {@linkcode PilotEndedError}, so that its clients learn of it at once rather than after their
 * `unreachableAfter`, and a `PilotPool` moves those tasks to another pilot.
 *
 * @module
 */
import { runSlurm, type SlurmCliOptions } from "./_slurm_cli.ts";

/**
 * A task was cancelled because its pilot's Slurm job ended under it (SIGTERM from Slurm: cancelled,
 * preempted, or at its time limit). Not the task's failure: another pilot can run it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PilotEndedError } from "@asyncflow/asyncflow/agent/pilot";
 * const e = new PilotEndedError("t1", "1234", "SIGTERM");
 * assert.equal(e.name, "PilotEndedError");
 * assert.equal(e.jobId, "1234");
 * assert.match(e.message, /job 1234 is ending \(the agent got SIGTERM/);
 * ```
 */
export class PilotEndedError extends Error {
  /** The pilot's Slurm job, when the agent knows it. */
  readonly jobId: string | undefined;

  /**
   * Makes the error of one task.
   *
   * @param taskId The task's id.
   * @param jobId The pilot's Slurm job id (`SLURM_JOB_ID`), if any.
   * @param signal The signal the agent got.
   */
  constructor(taskId: string, jobId: string | undefined, signal: string) {
    const job = jobId === undefined ? "the pilot's job" : `the pilot's Slurm job ${jobId}`;
    super(
      `task '${taskId}' was cancelled: ${job} is ending (the agent got ${signal}: the job was ` +
        "cancelled, preempted or reached its time limit); another pilot can run it",
    );
    this.name = "PilotEndedError";
    this.jobId = jobId;
  }
}

/** The states of a job that runs on; any other (CANCELLED, COMPLETING, TIMEOUT, …) is its end. */
const RUNNING_STATES = new Set(["RUNNING", "PENDING", "CONFIGURING", "SUSPENDED"]);

/**
 * Whether the Slurm job `jobId` is ending, as `squeue` says now: a state other than running. Asked when a command dies of a signal the agent did not send: Slurm signals a
 * job's steps when it ends, often before the agent hears its own SIGTERM.
 *
 * @param jobId The job's id.
 * @param options Where Slurm's tools are.
 * @returns `true` when the job ends; `false` when it runs on, or squeue cannot say (or does not
 * know the job).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { jobEnding } from "./job_end.ts";
 * const bin = mkdtempSync(`${tmpdir()}/slurm-bin-`);
 * writeFileSync(`${bin}/squeue`, "#!/bin/sh\necho CANCELLED\n");
 * chmodSync(`${bin}/squeue`, 0o755);
 * assert.equal(await jobEnding("42", { slurmBin: bin }), true);
 * ```
 */
export async function jobEnding(jobId: string, options: SlurmCliOptions = {}): Promise<boolean> {
  try {
    const r = await runSlurm("squeue", ["-h", "-j", jobId, "-o", "%T"], options);
    // A job squeue does not know is not taken for ending: that would turn failures into
    // cancellations.
    const state = r.stdout.trim();
    return r.exitCode === 0 && state !== "" && !RUNNING_STATES.has(state);
  } catch {
    return false;
  }
}
