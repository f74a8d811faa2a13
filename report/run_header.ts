import type { TaskGraph } from "../graph/graph_model.ts";
import { formatMs } from "./_time_axis.ts";
import { escapeHtml } from "./html_escape.ts";

/**
 * What the report knows of the run besides its trace: how it was started and how it ended. The
 * run directory's `run.json` holds it; every field is optional.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderReport, type ReportRunInfo } from "@asyncflow/asyncflow/report";
 * const run: ReportRunInfo = {
 *   argv: ["asyncflow", "run", "sweep.yaml", "--name", "night 1"],
 *   cwd: "/scratch/me", startedAt: 0, endedAt: 65_000, status: "interrupted",
 *   name: "Sweep", description: "20 points of the parameter scan",
 * };
 * const html = renderReport([], { run });
 * assert.ok(html.includes("<h1>Sweep</h1>"));
 * assert.ok(html.includes("asyncflow run sweep.yaml --name &#39;night 1&#39;"));
 * assert.match(html, /id="run-status" class="status interrupted"/);
 * ```
 */
export interface ReportRunInfo {
  /** The command line as run, program first (`["asyncflow", "run", "w.yaml"]`). */
  argv?: readonly string[];
  /** The directory it was started in. */
  cwd?: string;
  /** When it started: ms since the epoch, or an ISO date. */
  startedAt?: number | string;
  /** When it ended: ms since the epoch, or an ISO date. */
  endedAt?: number | string;
  /** How it ended: `running`, `succeeded`, `failed` or `interrupted`. */
  status?: string;
  /** The workflow's name: the report's title unless `title` is given. */
  name?: string;
  /** What the workflow does, in a sentence or two. */
  description?: string;
  /** The workflow's file, name and description, as a run directory's `run.json` keeps them. */
  workflow?: { file?: string; name?: string; description?: string };
  /** The machine it ran on. */
  host?: string;
}

/** The most characters of a command line shown; the rest is cut with a note. */
const ARGV_CHARS = 4000;

/**
 * The page's header: the title, the workflow's description, the command line, where and when
 * it ran, and how it ended — `interrupted` when the run says so or when the trace ends with
 * tasks unfinished.
 */
export function renderRunHeader(
  title: string,
  run: ReportRunInfo | undefined,
  graph: TaskGraph,
  meta: string,
): string {
  const description = run?.description ?? run?.workflow?.description;
  const rows: [string, string][] = [];
  if (run?.argv !== undefined && run.argv.length > 0) {
    rows.push(["command", `<code id="run-command">${escapeHtml(commandLine(run.argv))}</code>`]);
  }
  if (run?.workflow?.file !== undefined) rows.push(["workflow", escapeHtml(run.workflow.file)]);
  if (run?.cwd !== undefined) rows.push(["directory", escapeHtml(run.cwd)]);
  if (run?.host !== undefined) rows.push(["host", escapeHtml(run.host)]);
  const started = time(run?.startedAt);
  const ended = time(run?.endedAt);
  if (started !== undefined) rows.push(["started", escapeHtml(new Date(started).toISOString())]);
  if (ended !== undefined) {
    const took = started === undefined ? "" : ` (${formatMs(ended - started)})`;
    rows.push(["ended", escapeHtml(new Date(ended).toISOString() + took)]);
  }
  return `<header><h1>${escapeHtml(title)}</h1>${
    description ? `<p class="description">${escapeHtml(description)}</p>` : ""
  }${runStatus(run?.status, graph)}${
    rows.length > 0
      ? `<dl class="run" id="run">${
        rows.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join("")
      }</dl>`
      : ""
  }<p class="meta">${escapeHtml(meta)}</p></header>`;
}

/** How the run ended, from the run's own word and what the trace shows. */
function runStatus(status: string | undefined, graph: TaskGraph): string {
  const unfinished = graph.nodes.filter((n) => n.state === "RUNNING" || n.state === "PENDING");
  const n = unfinished.length;
  const left = `${n} task${n === 1 ? "" : "s"} and blocks did not finish`;
  let cls: string;
  let text: string;
  if (status === "running") {
    cls = "running";
    text = n > 0 ? `Still running: ${n} unfinished so far.` : "Still running.";
  } else if (status === "interrupted" || (n > 0 && status !== "succeeded")) {
    cls = "interrupted";
    text = status === "interrupted"
      ? `Interrupted${n > 0 ? `: ${left}.` : "."}`
      : `The trace ends with ${left}: the run was interrupted, or is still running.`;
  } else if (status === "failed" || graph.nodes.some((x) => x.state === "FAILED")) {
    cls = "failed";
    text = "Failed: see the root failures below.";
  } else if (status === "succeeded" || graph.nodes.length > 0) {
    cls = "succeeded";
    text = "Succeeded.";
  } else {
    return "";
  }
  return `<p id="run-status" class="status ${cls}" data-status="${cls}">${escapeHtml(text)}</p>`;
}

function time(value: number | string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const t = typeof value === "number" ? value : Date.parse(value);
  return Number.isFinite(t) ? t : undefined;
}

/** The command line as a shell would take it back: words quoted only when they need it. */
export function commandLine(argv: readonly string[]): string {
  const text = argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`))
    .join(" ");
  return text.length > ARGV_CHARS
    ? `${text.slice(0, ARGV_CHARS)} … (${text.length - ARGV_CHARS} more characters)`
    : text;
}
