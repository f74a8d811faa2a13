/**
 * The life cycle of a task or block, as seen through its {@linkcode TaskFuture}.
 *
 * `PENDING` covers everything before a backend starts the work (waiting for
 * dependencies, waiting for a backend slot, submitted); `RUNNING` starts when
 * the backend reports that the work began; the other three are final.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isFinalState } from "@asyncflow/asyncflow";
 * assert.ok(isFinalState("DONE") && !isFinalState("RUNNING"));
 * ```
 */
export type TaskState = "PENDING" | "RUNNING" | "DONE" | "FAILED" | "CANCELLED";

/** What a task is: a function, a command, or a block (a sub-workflow run by the engine). */
export type TaskKind = "function" | "executable" | "block";

/**
 * Tells whether a state is final (`DONE`, `FAILED` or `CANCELLED`).
 *
 * @param state The state to test.
 * @returns `true` when no further transition can happen.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isFinalState } from "@asyncflow/asyncflow";
 * assert.ok(isFinalState("FAILED"));
 * ```
 */
export function isFinalState(state: TaskState): boolean {
  return state === "DONE" || state === "FAILED" || state === "CANCELLED";
}
