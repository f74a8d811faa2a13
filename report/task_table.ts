import { type GraphNode, type TaskGraph, templateOf } from "../graph/graph_model.ts";
import { formatMs } from "./_time_axis.ts";
import { nodeDuration } from "./critical_path.ts";
import { formatKiB } from "./format_kib.ts";
import { escapeHtml } from "./html_escape.ts";

/** The most rows the task table holds: beyond, the page would be slow to open and to sort. */
export const MAX_TASK_ROWS = 5000;

/** A sortable column: its heading, and whether it sorts by number (`data-v`) or by text. */
export interface SortableColumn {
  /** The heading. */
  title: string;
  /** How its cells compare. */
  type: "num" | "text";
}

/**
 * A table the page's script sorts when a heading is clicked (no framework: the script in
 * `assets.ts` reorders the rows by each cell's `data-v`, or its text; a second click reverses).
 * `data-i` keeps the original order, which breaks ties.
 */
export function sortableTable(
  id: string,
  columns: readonly SortableColumn[],
  rows: readonly string[][],
  rowAttrs: readonly string[],
): string {
  const head = columns.map((c, i) =>
    `<th><button type="button" data-col="${i}" data-type="${c.type}">${
      escapeHtml(c.title)
    }</button></th>`
  ).join("");
  const body = rows.map((cells, i) =>
    `<tr data-i="${i}"${rowAttrs[i] ?? ""}>${cells.join("")}</tr>`
  ).join("");
  return `<table class="sortable" id="${id}"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** A cell whose sort value is `value` (a number) and whose text is `text`. */
export function numCell(value: number | undefined, text: string): string {
  return value === undefined
    ? `<td data-v=""></td>`
    : `<td data-v="${Number.isFinite(value) ? value : ""}">${escapeHtml(text)}</td>`;
}

const COLUMNS: readonly SortableColumn[] = [
  { title: "name", type: "text" },
  { title: "uid", type: "text" },
  { title: "template", type: "text" },
  { title: "state", type: "text" },
  { title: "duration", type: "num" },
  { title: "attempts", type: "num" },
  { title: "exit", type: "num" },
  { title: "where", type: "text" },
];
/** Shown when some command's record says what it used (a recorded run on Linux). */
const USAGE_COLUMNS: readonly SortableColumn[] = [
  { title: "CPU", type: "num" },
  { title: "peak memory", type: "num" },
];

/**
 * Every task and block in one sortable table: name (with its uid), template, state, how long it
 * ran, attempts, the exit code (or signal) of its command, where it ran, and — when the records
 * tell — its command's CPU time and peak memory. A task resumed from
 * an earlier run says so in its state. At most {@linkcode MAX_TASK_ROWS} rows, with a note.
 */
export function renderTaskTable(graph: TaskGraph): string {
  if (graph.nodes.length === 0) return `<p class="empty">The trace holds no task.</p>`;
  const end = graph.end ?? 0;
  const shown = graph.nodes.slice(0, MAX_TASK_ROWS);
  const usage = shown.some((n) => n.cpuMs !== undefined || n.maxRssKiB !== undefined);
  const rows = shown.map((n) => [
    `<td>${escapeHtml(n.name)}</td>`,
    `<td><code>${escapeHtml(n.uid)}</code></td>`,
    `<td>${escapeHtml(templateOf(n))}</td>`,
    `<td class="s-${n.state.toLowerCase()}">${n.state.toLowerCase()}${
      n.resumed ? " (resumed)" : ""
    }</td>`,
    n.start === undefined ? numCell(undefined, "") : numCell(
      round(nodeDuration(n, end)),
      formatMs(nodeDuration(n, end)),
    ),
    numCell(n.attempts, String(n.attempts)),
    exitCell(n),
    `<td>${escapeHtml([n.backend, n.where].filter((w) => w !== undefined).join(" · "))}</td>`,
    ...(usage
      ? [
        numCell(n.cpuMs, n.cpuMs === undefined ? "" : formatMs(n.cpuMs)),
        numCell(n.maxRssKiB, n.maxRssKiB === undefined ? "" : formatKiB(n.maxRssKiB)),
      ]
      : []),
  ]);
  const attrs = shown.map((n) => ` data-uid="${escapeHtml(n.uid)}"`);
  const more = graph.nodes.length > MAX_TASK_ROWS
    ? `<p class="note">Showing the first ${MAX_TASK_ROWS} of ${graph.nodes.length} tasks and blocks, in the order they were called; the statistics per template count them all.</p>`
    : "";
  return `<p class="meta">Click a heading to sort by it; click again to reverse.</p>${
    sortableTable("tasks", usage ? [...COLUMNS, ...USAGE_COLUMNS] : COLUMNS, rows, attrs)
  }${more}`;
}

function exitCell(n: GraphNode): string {
  if (n.exitCode !== undefined) return numCell(n.exitCode, String(n.exitCode));
  if (n.signal !== undefined) return `<td data-v="">${escapeHtml(n.signal)}</td>`;
  return numCell(undefined, "");
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
