import type { TaskEvent } from "../src/events.ts";
import { buildGraph, type TaskGraph } from "../graph/graph_model.ts";
import { STATE_COLORS, STATES } from "../graph/state_style.ts";
import { formatMs } from "./_time_axis.ts";
import { REPORT_CSS, REPORT_JS } from "./assets.ts";
import { criticalPath, nodeDuration } from "./critical_path.ts";
import { renderGantt } from "./gantt.ts";
import { renderGraphSvg } from "./graph_svg.ts";
import { escapeHtml, jsonForScript } from "./html_escape.ts";
import { renderFailures } from "./failures.ts";
import { renderRunHeader, type ReportRunInfo } from "./run_header.ts";
import { countStates, renderCounts } from "./summary.ts";
import { renderTaskTable } from "./task_table.ts";
import { renderTemplateStats } from "./template_stats.ts";
import { renderUtilisation } from "./utilisation.ts";

export type { ReportRunInfo } from "./run_header.ts";

/** Options of {@linkcode renderReport}. */
export interface ReportOptions {
  /** The page's title and heading. Default: the run's workflow name, else `"asyncflow report"`. */
  title?: string;
  /**
   * How the run was started and how it ended (a run directory's `run.json`): its name,
   * description and command line head the page, and its status says whether it was interrupted.
   */
  run?: ReportRunInfo;
  /**
   * The most boxes the dependency graph lays out; above, it is drawn by template, and blocks that
   * still do not fit are shown closed. Default 250.
   */
  maxGraphNodes?: number;
  /** Above this many attempts, the Gantt chart draws density strips instead of bars. Default 20 000. */
  maxGanttBars?: number;
  /**
   * The time the view stands for, in ms since the epoch. While tasks are running, the time axis,
   * the running bars and durations and the makespan run to it rather than stopping at the last
   * event, so a task that runs long without news still grows. The live dashboard passes the
   * current time; a report of a trace has none (the default), and ends at its last event.
   */
  now?: number;
}

/**
 * Renders a trace as one self-contained HTML page that opens offline: the
 * workflow's name, description and command line and whether the run was
 * interrupted; summary counts; the failures, root failures first and apart
 * from the failures they caused; statistics per template; a Gantt chart per
 * backend and worker; running tasks over time; the dependency graph coloured
 * by state (laid out with dagre while rendering, so the page holds plain SVG
 * and carries no library); the critical path highlighted in all views; and a
 * sortable table of every task. Every string from the trace is escaped; the
 * page loads nothing (its Content Security Policy forbids it) and its small
 * script only adds tooltips and sorting.
 *
 * Large traces stay fast: the graph lays out at most `maxGraphNodes` boxes (by template above
 * that) and the Gantt chart turns lanes that are too dense into density strips, each
 * with a note on the page saying so.
 *
 * @param events The trace's events, in the order they were emitted.
 * @param options Title and limits.
 * @returns The HTML text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderReport } from "@asyncflow/asyncflow/report";
 * const html = renderReport([], { title: "Nightly <run>" });
 * assert.ok(html.includes("<title>Nightly &lt;run&gt;</title>"));
 * ```
 */
export function renderReport(events: readonly TaskEvent[], options: ReportOptions = {}): string {
  if (!Array.isArray(events)) {
    throw new TypeError(`renderReport: events must be an array of TaskEvent, got ${typeof events}`);
  }
  const title = reportTitle(options);
  return reportPage(title, REPORT_CSP, renderReportBody(events, options), "");
}

/** The report's Content Security Policy: nothing may load, inline style and script only. */
export const REPORT_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

/**
 * A report page around `body`: the head with `csp`, the body, the report's script, then `script`
 * (the live dashboard's, or nothing).
 */
export function reportPage(title: string, csp: string, body: string, script: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<title>${escapeHtml(title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
${body}
<script>${REPORT_JS}</script>${script ? `\n<script>${script}</script>` : ""}
</body>
</html>
`;
}

/**
 * The content of the report's page: its sections, the tooltip and the task data. The report and
 * the live dashboard show exactly this.
 */
export function renderReportBody(
  events: readonly TaskEvent[],
  options: ReportOptions = {},
): string {
  const title = reportTitle(options);
  const graph = buildGraph(events);
  if (
    options.now !== undefined && graph.end !== undefined && options.now > graph.end &&
    graph.nodes.some((n) => n.state === "RUNNING")
  ) graph.end = options.now;
  const path = criticalPath(graph);
  const critical = new Set(path.uids);
  const makespan = graph.start === undefined ? 0 : graph.end! - graph.start;
  const gantt = renderGantt(graph, {
    critical,
    ...(options.maxGanttBars ? { maxBars: options.maxGanttBars } : {}),
  });
  const util = renderUtilisation(graph);
  const drawing = renderGraphSvg(graph, {
    critical: path.uids,
    ...(options.maxGraphNodes ? { maxNodes: options.maxGraphNodes } : {}),
  });
  const note = (
    text: string | undefined,
  ) => (text ? `<p class="note">${escapeHtml(text)}</p>` : "");
  const ganttNote = gantt.aggregated.length > 0
    ? `Too many bars to draw one by one: ${gantt.aggregated.length} lane(s) are shown as density strips (darker = more tasks running).`
    : undefined;
  const body = [
    renderRunHeader(title, options.run, graph, describeTrace(graph, events.length)),
    `<section id="summary"><h2>Summary</h2>${renderCounts(countStates(graph), makespan)}${
      renderCriticalPath(graph, path.uids, path.durationMs)
    }</section>`,
    `<section id="problems"><h2>Failures</h2>${renderFailures(graph)}</section>`,
    `<section id="by-template"><h2>By template</h2>${renderTemplateStats(graph)}</section>`,
    `<section id="timeline"><h2>Timeline by backend and worker</h2>${ganttLegend()}${
      note(ganttNote)
    }<div class="scroll">${gantt.svg}</div></section>`,
    `<section id="utilisation"><h2>Running tasks over time (peak ${util.peak})</h2><div class="scroll">${util.svg}</div></section>`,
    `<section id="graph"><h2>Dependency graph</h2>${stateLegend()}${
      note(drawing.note)
    }<div class="scroll">${drawing.svg}</div></section>`,
    `<section id="task-table"><h2>Tasks</h2>${renderTaskTable(graph)}</section>`,
  ];
  return `${body.join("\n")}
<div id="tip" hidden></div>
<script type="application/json" id="task-data">${
    jsonForScript(tooltipData(graph, critical))
  }</script>`;
}

function reportTitle(options: ReportOptions): string {
  return options.title ?? options.run?.name ?? options.run?.workflow?.name ?? "asyncflow report";
}

function describeTrace(graph: TaskGraph, eventCount: number): string {
  if (graph.start === undefined) return "The trace holds no events.";
  const workflows = [...new Set(graph.nodes.map((n) => n.workflowId))];
  const backends = [...new Set(graph.nodes.flatMap((n) => (n.backend ? [n.backend] : [])))];
  return [
    `Started ${new Date(graph.start).toISOString()}`,
    `${eventCount} events`,
    `workflow${workflows.length === 1 ? "" : "s"}: ${workflows.slice(0, 10).join(", ")}${
      workflows.length > 10 ? ", …" : ""
    }`,
    `backends: ${backends.join(", ") || "none"}`,
  ].join(" · ");
}

function renderCriticalPath(graph: TaskGraph, uids: string[], total: number): string {
  if (uids.length === 0) return "";
  const end = graph.end ?? 0;
  const shown = uids.slice(0, 200).map((uid) => {
    const n = graph.byUid.get(uid)!;
    return `<li data-uid="${escapeHtml(uid)}">${escapeHtml(n.name)} <code>${
      escapeHtml(uid)
    }</code><span class="dur">${escapeHtml(formatMs(nodeDuration(n, end)))}</span></li>`;
  });
  const more = uids.length > 200
    ? `<p class="note">Showing the first 200 of ${uids.length} steps.</p>`
    : "";
  return `<h3>Critical path: ${uids.length} step${uids.length === 1 ? "" : "s"}, ${
    escapeHtml(formatMs(total))
  }</h3>` +
    `<ol class="critical-path" id="critical-path">${shown.join("")}</ol>${more}`;
}

function ganttLegend(): string {
  const items = [["o-done", "done"], ["o-failed", "failed"], ["o-retried", "failed, retried"], [
    "o-cancelled",
    "cancelled",
  ], ["o-running", "still running"]];
  return `<div class="legend">${
    items.map(([cls, label]) =>
      `<span class="legend-item"><svg width="12" height="12"><rect class="${cls}" width="12" height="12"/></svg> ${label}</span>`
    ).join("")
  }<span class="legend-item"><svg width="12" height="12"><rect class="o-done legend-crit" x="1" y="1" width="10" height="10"/></svg> critical path</span></div>`;
}

function stateLegend(): string {
  return `<div class="legend">${
    STATES.map((s) =>
      `<span class="legend-item"><i style="background:${STATE_COLORS[s].fill};border:1px solid ${
        STATE_COLORS[s].stroke
      }"></i>${s.toLowerCase()}</span>`
    ).join("")
  }<span class="legend-item"><i style="border:3px solid #8e24aa"></i>critical path</span></div>`;
}

/** Per-task details for the tooltips, keyed by uid, with short keys to keep big reports small. */
function tooltipData(
  graph: TaskGraph,
  critical: ReadonlySet<string>,
): Record<string, Record<string, unknown>> {
  const end = graph.end ?? 0;
  const data: Record<string, Record<string, unknown>> = {};
  for (const n of graph.nodes) {
    const t: Record<string, unknown> = { n: n.name, u: n.uid, k: n.kind, s: n.state };
    if (n.backend) t.b = n.backend;
    if (n.where) t.w = n.where;
    if (n.start !== undefined) t.d = Math.round(nodeDuration(n, end) * 10) / 10;
    if (n.attempts > 1) t.a = n.attempts;
    if (n.parent) t.p = graph.byUid.get(n.parent)?.name;
    if (critical.has(n.uid)) t.c = 1;
    if (n.error) t.e = `${n.error.name}: ${n.error.message}`.slice(0, 600);
    data[n.uid] = t;
  }
  return data;
}
