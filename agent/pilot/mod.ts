/**
 * The Slurm pilot: a batch job that runs the asyncflow agent inside an allocation. Submit it,
 * wait for the agent's endpoint in the pilot directory, connect a `RemoteBackend` to it, and
 * cancel it when done.
 *
 * @example
 * ```ts ignore
 * import { cancelPilot, submitPilot, waitForEndpoint } from "./mod.ts";
 * const pilot = await submitPilot({ nodes: 2, walltime: "1:00:00", pilotDir: "/scratch/me/p1" });
 * await waitForEndpoint(pilot.pilotDir);
 * // new RemoteBackend(...) from /scratch/me/p1/endpoint.json, run the workflow, then:
 * await cancelPilot(pilot.pilotDir);
 * ```
 *
 * @module
 */
export {
  type BatchScriptOptions,
  PILOT_FILES,
  walltimeSeconds,
  writeBatchScript,
} from "./batch_script.ts";
export { cancelPilot } from "./cancel.ts";
export { PilotEndedError } from "./job_end.ts";
export { type PilotEndpoint, waitForEndpoint, type WaitForEndpointOptions } from "./endpoint.ts";
export { neverStartReason, PilotCannotStartError } from "./never_start.ts";
export { type PilotStatus, pilotStatus } from "./status.ts";
export {
  type AgentReach,
  defaultAgentCommand,
  type PilotInfo,
  type SubmitOptions,
  submitPilot,
} from "./submit.ts";
export type { SlurmCliOptions } from "./_slurm_cli.ts";
export {
  AllocationClock,
  type AllocationClockOptions,
  allocationEnd,
  WalltimeError,
  type WalltimeOptions,
} from "./walltime.ts";
export { PilotPool, type PilotPoolOptions } from "./pilot_pool.ts";
