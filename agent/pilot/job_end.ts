/**
 * The pilot's job ending before its time: Slurm sends the agent SIGTERM when the job is cancelled
 * (`scancel`), preempted or reaches its time limit, and kills it `KillWait` seconds later (30 by
 * default). In that time the agent reports its unfinished tasks as cancelled with a
 * {@linkcode PilotEndedError}, so that its clients learn of it at once rather than after their
 * `unreachableAfter`, and a `PilotPool` moves those tasks to another pilot.
 *
 * @module
 */

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
