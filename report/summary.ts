import type { TaskGraph } from "../graph/graph_model.ts";
import { formatMs } from "./_time_axis.ts";
import { escapeHtml } from "./html_escape.ts";

/** Counts of a trace, as the report's summary shows them. */
export interface TraceCounts {
  /** Tasks (functions and executables). */
  tasks: number;
  /** Blocks. */
  blocks: number;
  /** Tasks and blocks done. */
  done: number;
  /** Tasks and blocks failed. */
  failed: number;
  /** Tasks and blocks cancelled. */
  cancelled: number;
  /** Tasks and blocks running at the end of the trace. */
  running: number;
  /** Tasks and blocks not started at the end of the trace. */
  pending: number;
  /** Attempts that failed and were run again. */
  retries: number;
}

/**
 * Counts tasks, blocks and states.
 *
 * @param graph The graph from `buildGraph`.
 * @returns The counts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildGraph } from "../graph/mod.ts";
 * import { countStates } from "./summary.ts";
 * assert.equal(countStates(buildGraph([])).tasks, 0);
 * ```
 */
export function countStates(graph: TaskGraph): TraceCounts {
  const c: TraceCounts = {
    tasks: 0,
    blocks: 0,
    done: 0,
    failed: 0,
    cancelled: 0,
    running: 0,
    pending: 0,
    retries: 0,
  };
  for (const n of graph.nodes) {
    if (n.kind === "block") c.blocks++;
    else c.tasks++;
    c[n.state.toLowerCase() as "done" | "failed" | "cancelled" | "running" | "pending"]++;
    c.retries += n.runs.filter((r) => r.outcome === "retried").length;
  }
  return c;
}

/** The summary cards: one per count, each with a `data-count` attribute naming it. */
export function renderCounts(counts: TraceCounts, makespanMs: number): string {
  const cards = (Object.keys(counts) as (keyof TraceCounts)[]).map((key) =>
    `<div class="card c-${key}" data-count="${key}"><b>${counts[key]}</b><span>${key}</span></div>`
  );
  cards.push(
    `<div class="card" data-count="makespan"><b>${
      escapeHtml(formatMs(makespanMs))
    }</b><span>makespan</span></div>`,
  );
  return `<div class="cards">${cards.join("")}</div>`;
}
