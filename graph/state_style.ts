import type { TaskState } from "../src/task_state.ts";

/** Fill, border and text colours of one state, as CSS hex colours. */
export interface StateColors {
  /** Background. */
  fill: string;
  /** Border. */
  stroke: string;
  /** Text. */
  text: string;
}

/**
 * The colours of each state, shared by the Mermaid and DOT exports and the
 * HTML report so that one state looks the same everywhere.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { STATE_COLORS } from "./state_style.ts";
 * assert.ok(STATE_COLORS.FAILED.fill.startsWith("#"));
 * ```
 */
export const STATE_COLORS: Readonly<Record<TaskState, StateColors>> = Object.freeze({
  DONE: { fill: "#d9f2df", stroke: "#2e8b57", text: "#14361f" },
  FAILED: { fill: "#f9d6d5", stroke: "#c0392b", text: "#4d0f0a" },
  CANCELLED: { fill: "#e6e6e6", stroke: "#7f8c8d", text: "#333333" },
  RUNNING: { fill: "#d6e9f9", stroke: "#2c7bb6", text: "#0b2a45" },
  PENDING: { fill: "#fff4cc", stroke: "#c9a227", text: "#4a3b00" },
});

/** The states in the order legends list them. */
export const STATES: readonly TaskState[] = ["DONE", "FAILED", "CANCELLED", "RUNNING", "PENDING"];
