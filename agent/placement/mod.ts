/**
 * Where and how the agent runs a task inside its allocation: the allocation (from Slurm or flags),
 * a first-fit slot scheduler over nodes, cores and GPUs, and the fork/srun/mpiexec launch methods.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { launchCommand, localAllocation, SlotScheduler } from "@asyncflow/asyncflow/agent/placement";
 * const allocation = localAllocation(2);
 * const slots = new SlotScheduler(allocation);
 * const placement = slots.place({ ranks: 1, coresPerRank: 2, gpusPerRank: 0 });
 * assert.ok(placement, "two cores are free");
 * assert.equal(slots.place({ ranks: 1, coresPerRank: 1, gpusPerRank: 0 }), undefined);
 * const { argv } = launchCommand("fork", placement, ["hostname"]);
 * assert.equal(argv.at(-1), "hostname");
 * slots.release(placement); // after the process exits
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
