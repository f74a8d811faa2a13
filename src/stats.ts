/**
 * Counts of tasks and blocks by state, from {@linkcode WorkflowEngine.stats}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WorkflowEngine } from "@asyncflow/asyncflow";
 * await using flow = await WorkflowEngine.create();
 * await flow.functionTask(() => 1)();
 * const s = flow.stats();
 * assert.deepEqual([s.created, s.done, s.pending], [1, 1, 0]);
 * ```
 */
export interface EngineStats {
  /** Calls made so far. */
  created: number;
  /** Unfinished and not running (waiting for dependencies, a slot, or a backend). */
  pending: number;
  /** Running now. */
  running: number;
  /** Finished with a value. */
  done: number;
  /** Finished with an error. */
  failed: number;
  /** Cancelled. */
  cancelled: number;
  /** Attempts that failed and were run again. */
  retried: number;
}
