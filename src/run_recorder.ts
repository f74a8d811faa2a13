import type { TaskEventListener } from "./events.ts";
import type { EngineStats } from "./stats.ts";

/**
 * What keeps the record of a run, plugged in as `EngineOptions.record`: the core only hands it
 * every event and tells it when the run ends; the writing lives above the core
 * (`recordRun` of `@asyncflow/asyncflow/runs` writes a run directory). A recorded engine also
 * records results (`recordResults`), so the run can be resumed from its record.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type RunRecorder, type TaskEvent, WorkflowEngine } from "@asyncflow/asyncflow";
 * const events: TaskEvent[] = [];
 * let closed = "";
 * const record: RunRecorder = {
 *   onEvent: (e) => events.push(e),
 *   close: (end) => { closed = `${end.stats.done} done`; return Promise.resolve(); },
 * };
 * const flow = await WorkflowEngine.create({ record });
 * await flow.functionTask(() => 1)();
 * await flow.shutdown();
 * assert.equal(closed, "1 done");
 * assert.ok(events.some((e) => e.type === "done" && e.result === 1));
 * ```
 */
export interface RunRecorder {
  /**
   * Where backends keep each command's complete stdout and stderr (`BackendContext.outputDir`);
   * the engine creates it. Absent: outputs are not kept.
   */
  readonly outputDir?: string;
  /** Receives every event of the engine, from before its first task; called synchronously. */
  readonly onEvent: TaskEventListener;
  /**
   * Called once by `shutdown()`, after the engine's last event, also when a backend failed to
   * shut down: completes the record.
   *
   * @param end The engine's uid and final counts.
   */
  close(end: { uid: string; stats: EngineStats }): Promise<void>;
}
