/**
 * Cancels a pilot with `scancel`.
 *
 * @module
 */
import { resolvePilot } from "./_pilot_ref.ts";
import { runSlurm, type SlurmCliOptions, slurmError } from "./_slurm_cli.ts";

/**
 * Cancels a pilot's job. Idempotent: a job that already ended is not an error. Slurm sends
 * SIGTERM to the agent, which stops its tasks; `pilotStatus` shows when the job is gone.
 *
 * @param pilot A pilot directory (with `pilot.json`) or a job id.
 * @param options Where Slurm's tools are.
 * @returns The job id that was cancelled.
 * @throws {Error} When `scancel` fails for another reason.
 *
 * @example
 * ```ts ignore
 * import { cancelPilot } from "./cancel.ts";
 * await cancelPilot("/scratch/me/p1");
 * ```
 */
export async function cancelPilot(pilot: string, options: SlurmCliOptions = {}): Promise<string> {
  const { jobId } = await resolvePilot(pilot);
  const r = await runSlurm("scancel", [jobId], options);
  if (r.exitCode !== 0 && !/already completing or completed|invalid job id/i.test(r.stderr)) {
    throw slurmError("scancel", [jobId], r);
  }
  return jobId;
}
