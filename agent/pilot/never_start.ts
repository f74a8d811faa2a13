/**
 * The reasons Slurm gives for a pending job that mean it can never start as it was asked for, so
 * that waiting for the pilot's agent stops at once instead of at its deadline.
 *
 * @module
 */

// What each reason means, said to the user. These clear only if an administrator changes the
// cluster's limits or the job is changed: waiting does not help. Reasons that clear by themselves
// (Resources, Priority, ReqNodeNotAvail while a node is down or reserved, PartitionDown, held
// jobs) are not here: the pilot keeps waiting for them.
const NEVER: Record<string, string> = {
  PartitionNodeLimit: "it asks for more nodes than its partition allows",
  PartitionTimeLimit: "its walltime is longer than its partition allows",
  BadConstraints: "no node of its partition has the features, memory or GRES it asks for",
  DependencyNeverSatisfied: "a job it depends on ended in a way that can never satisfy it",
  InvalidAccount: "its account is not valid on this cluster",
  InvalidQOS: "its QOS is not valid for its account or partition",
  AccountNotAllowed: "its partition does not accept its account",
  QOSNotAllowed: "its partition does not accept its QOS",
};
// Per-job limits of a QOS or an association (e.g. QOSMaxWallDurationPerJobLimit,
// AssocMaxNodesPerJobLimit) do not depend on other jobs, unlike the limits on running jobs.
const PER_JOB_LIMIT = /^(QOS|Assoc)Max\w*PerJob(Limit)?$/;

/**
 * Why a pending job can never start, or `undefined` when it may still start.
 *
 * @param reason The job's reason as `squeue -o %R` prints it, e.g. `PartitionNodeLimit`.
 * @returns A clause that says what is wrong, or `undefined` for a reason that can clear.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { neverStartReason } from "@asyncflow/asyncflow/agent/pilot";
 * assert.match(neverStartReason("PartitionNodeLimit")!, /more nodes than its partition allows/);
 * assert.match(neverStartReason("QOSMaxWallDurationPerJobLimit")!, /per-job limit/);
 * assert.equal(neverStartReason("Resources"), undefined);
 * assert.equal(neverStartReason("ReqNodeNotAvail, UnavailableNodes:node2"), undefined);
 * ```
 */
export function neverStartReason(reason: string): string | undefined {
  const name = reason.trim().replace(/^\(|\)$/g, "").split(/[,\s]/)[0] ?? "";
  if (Object.hasOwn(NEVER, name)) return NEVER[name];
  if (PER_JOB_LIMIT.test(name)) return `it exceeds a per-job limit of its QOS or account`;
  return undefined;
}

/**
 * A pilot whose job Slurm says can never start. `jobId` and `reason` say which and why; the
 * message says what to change.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PilotCannotStartError } from "@asyncflow/asyncflow/agent/pilot";
 * const e = new PilotCannotStartError("42", "PartitionNodeLimit", "/scratch/p1");
 * assert.equal(e.name, "PilotCannotStartError");
 * assert.match(e.message, /job 42 .*PartitionNodeLimit/);
 * ```
 */
export class PilotCannotStartError extends Error {
  /** Slurm's job id. */
  readonly jobId: string;
  /** Slurm's reason, as squeue printed it. */
  readonly reason: string;

  /**
   * Makes the error, with a message that says why and what to change.
   *
   * @param jobId The pending job.
   * @param reason Its reason, from squeue.
   * @param pilotDir The pilot directory, named in the message.
   */
  constructor(jobId: string, reason: string, pilotDir: string) {
    const why = neverStartReason(reason) ?? "Slurm says it cannot start";
    super(
      `the pilot in ${pilotDir} can never start: job ${jobId} is pending with reason ${reason} ` +
        `(${why}); ask for fewer nodes or less time, another partition (-p), account (-A) or ` +
        `QOS (--sbatch=--qos=…), or see 'scontrol show job ${jobId}'`,
    );
    this.name = "PilotCannotStartError";
    this.jobId = jobId;
    this.reason = reason;
  }
}
