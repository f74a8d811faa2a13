/**
 * Where and how the agent runs a task inside its allocation: the allocation (from Slurm or flags),
 * a first-fit slot scheduler over nodes, cores and GPUs, and the fork/srun/mpiexec launch methods.
 *
 * @example
 * ```ts
 * import { allocationFromEnv, launchCommand, localAllocation, SlotScheduler } from "./mod.ts";
 * const allocation = allocationFromEnv(process.env) ?? localAllocation();
 * const slots = new SlotScheduler(allocation);
 * const placement = slots.place({ ranks: 1, coresPerRank: 1, gpusPerRank: 0 });
 * if (placement) {
 *   const { argv, env } = launchCommand(allocation.source === "slurm" ? "srun" : "fork", placement, "hostname");
 *   // spawn argv with env added, then:
 *   slots.release(placement);
 * }
 * ```
 *
 * @module
 */
export {
  type Allocation,
  allocationFromEnv,
  localAllocation,
  type NodeSlots,
} from "./allocation.ts";
export { expandHostList } from "./hostlist.ts";
export { launchCommand, type LaunchMethod, type LaunchOptions } from "./launch.ts";
export { type Placement, type SlotRequest, SlotScheduler } from "./scheduler.ts";
