import type { Backend } from "./backend.ts";

/**
 * Options of {@linkcode WorkflowEngine.create}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LocalBackend, type EngineOptions } from "@asyncflow/asyncflow";
 * import { WorkflowEngine } from "@asyncflow/asyncflow";
 * const options: EngineOptions = { backend: new LocalBackend({ processes: 2 }), uid: "run-1" };
 * await using flow = await WorkflowEngine.create(options);
 * assert.deepEqual([flow.uid, flow.backendNames], ["run-1", ["default"]]);
 * ```
 */
export interface EngineOptions {
  /** The default backend. Default: a `LocalBackend`. */
  backend?: Backend;
  /** More backends, routed to by name; without `backend`, the first is the default. */
  backends?: readonly Backend[];
  /** Replace every backend by a `NoopBackend` of the same name: check wiring, run nothing. */
  dryRun?: boolean;
  /** The engine's id, used in directory names and traces. Default: `asyncflow.<random>`. */
  uid?: string;
  /** Where the engine's directory (`{workDir}/{uid}`) is created when needed. Default: the current directory. */
  workDir?: string;
  /**
   * Results of an earlier run, by memo key (from the `memoKey`/`result` of its
   * `done` events): a task whose key is here completes at once with that result
   * instead of running again. Blocks always run; their tasks are looked up.
   */
  resume?: ReadonlyMap<string, unknown>;
  /** Put `memoKey` and the full `result` on every task's `done` event, so a trace can be resumed from. */
  recordResults?: boolean;
}
