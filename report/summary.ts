import type { GraphNode, TaskGraph } from "../graph/graph_model.ts";
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

const MAX_ROWS = 500;

/**
 * The failures table (failed tasks and blocks, original errors before the
 * dependency failures they caused) and the cancellations table, each capped
 * at 500 rows with a note.
 */
export function renderProblems(graph: TaskGraph): string {
  const failed = graph.nodes.filter((n) => n.state === "FAILED");
  const isRoot = (n: GraphNode) => n.error?.name !== "DependencyFailureError";
  failed.sort((a, b) => Number(isRoot(b)) - Number(isRoot(a)));
  const cancelled = graph.nodes.filter((n) => n.state === "CANCELLED");
  return table("Failures", "failures", failed, "No task failed.") +
    table("Cancellations", "cancellations", cancelled, "No task was cancelled.");
}

function table(title: string, id: string, nodes: GraphNode[], empty: string): string {
  if (nodes.length === 0) return `<h3>${title}</h3><p class="empty">${empty}</p>`;
  const rows = nodes.slice(0, MAX_ROWS).map((n) =>
    `<tr data-uid="${escapeHtml(n.uid)}" class="${
      n.error?.name === "DependencyFailureError" ? "secondary" : "primary"
    }">` +
    `<td><code>${escapeHtml(n.uid)}</code></td><td>${escapeHtml(n.name)}</td><td>${n.kind}</td>` +
    `<td>${n.attempts || ""}</td><td class="err-name">${escapeHtml(n.error?.name ?? "")}</td>` +
    `<td class="err-msg">${escapeHtml(n.error?.message ?? "")}${
      n.error?.stack
        ? `<details class="err-stack"><summary>stack</summary><pre>${
          escapeHtml(n.error.stack)
        }</pre></details>`
        : ""
    }</td></tr>`
  );
  const more = nodes.length > MAX_ROWS
    ? `<p class="note">Showing the first ${MAX_ROWS} of ${nodes.length}.</p>`
    : "";
  return `<h3>${title} (${nodes.length})</h3><table id="${id}"><thead><tr><th>uid</th><th>name</th><th>kind</th><th>attempts</th><th>error</th><th>message</th></tr></thead><tbody>${
    rows.join("")
  }</tbody></table>${more}`;
}
