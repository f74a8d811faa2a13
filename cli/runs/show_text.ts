/**
 * What `asyncflow show` prints: a run's summary with its tasks, or one task's record.
 *
 * @module
 */
import type { TaskGraph } from "../../graph/mod.ts";
import type { FileFingerprint, TaskEvent } from "../../mod.ts";
import { formatKiB } from "../../report/format_kib.ts";
import { countsText } from "../commands/log.ts";
import { formatCommand } from "./format_command.ts";
import { formatDuration, formatTime } from "./format_time.ts";
import type { OutputExcerpt } from "./output_excerpt.ts";
import type { RunInfo } from "./run_info.ts";
import type { TaskView } from "./task_view.ts";

/** How many tasks the run summary lists (`--json` has them all). */
const TASKS_SHOWN = 50;

/**
 * A run's summary: what ran, how it ended, its results, its root failures and its tasks.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildGraph } from "@asyncflow/asyncflow/graph";
 * import { formatRun } from "./show_text.ts";
 * const info = {
 *   id: "20261201-120000-ab12", status: "succeeded" as const, argv: ["run", "w.yaml"], cwd: "/w",
 *   host: "h", pid: 1, engineUid: "e", startedAt: 0, endedAt: 1000,
 *   counts: { created: 0, done: 0, failed: 0, cancelled: 0, retried: 0 },
 * };
 * assert.match(formatRun(info, buildGraph([]), "/w/.asyncflow/runs/x"), /^command +asyncflow run w\.yaml$/m);
 * ```
 */
export function formatRun(
  info: RunInfo,
  graph: TaskGraph,
  dir: string,
  events: readonly TaskEvent[] = [],
): string {
  const lines: string[] = [];
  const field = (name: string, value: string) => lines.push(`${name.padEnd(11)}${value}`);
  field("run", `${info.id} (${dir})`);
  field("status", info.status + (info.error ? `: ${info.error}` : ""));
  if (info.workflow?.name) {
    field("workflow", info.workflow.name + (info.workflow.file ? ` (${info.workflow.file})` : ""));
  }
  if (info.workflow?.description) field("", info.workflow.description);
  field("command", `asyncflow ${info.argv.map((a) => formatCommand([a])).join(" ")}`);
  field("cwd", info.cwd);
  field("host", `${info.host}, pid ${info.pid}`);
  field("started", formatTime(info.startedAt));
  if (info.endedAt !== undefined) {
    field(
      "ended",
      `${formatTime(info.endedAt)} (${formatDuration(info.endedAt - info.startedAt)})`,
    );
  }
  field("tasks", countsText(info.counts));
  for (const leaf of info.leaves ?? []) {
    field("result", `${leaf.name} (${leaf.uid}): ${leaf.value}`);
  }
  const failures = graph.nodes.filter((n) =>
    n.state === "FAILED" && n.error?.name !== "DependencyFailureError"
  );
  for (const f of failures.slice(0, 20)) {
    field("failed", `${f.name} (${f.uid}): ${f.error?.name}: ${firstLine(f.error?.message)}`);
  }
  // On a resumed run: each task recorded as done that ran again, and why.
  const reruns = events.filter((e) => e.rerun !== undefined);
  for (const e of reruns.slice(0, 20)) field("rerun", `${e.name} (${e.uid}): ${e.rerun}`);
  if (reruns.length > 20) field("", `… and ${reruns.length - 20} more`);
  lines.push("");
  const shown = graph.nodes.slice(0, TASKS_SHOWN);
  // CPU and memory columns only when some record tells them (a recorded run on Linux).
  const usage = shown.some((n) => n.cpuMs !== undefined || n.maxRssKiB !== undefined);
  const rows = shown.map((n) => {
    const exit = n.kind === "executable" ? exitOf(n.error?.message, n.state) : "";
    return [
      n.state,
      n.uid,
      n.start !== undefined && n.end !== undefined ? formatDuration(n.end - n.start) : "-",
      ...(usage
        ? [
          n.cpuMs === undefined ? "" : formatDuration(n.cpuMs),
          n.maxRssKiB === undefined ? "" : formatKiB(n.maxRssKiB),
        ]
        : []),
      n.attempts > 1 ? `${n.attempts} attempts` : "",
      exit,
      n.where ?? "",
      n.name,
    ];
  });
  const header = [
    "STATE",
    "UID",
    "RAN",
    ...(usage ? ["CPU", "MEMORY"] : []),
    "ATTEMPTS",
    "EXIT",
    "WHERE",
    "NAME",
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const row of [header, ...rows]) {
    lines.push(row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join("  "));
  }
  if (graph.nodes.length > TASKS_SHOWN) {
    lines.push(`… and ${graph.nodes.length - TASKS_SHOWN} more (--json lists them all)`);
  }
  lines.push("", `'asyncflow show ${info.id} <task>' tells what a task ran (by uid or name).`);
  return lines.join("\n") + "\n";
}

/** The exit the trace tells of, for the task table: `0` for a done command. */
function exitOf(message: string | undefined, state: string): string {
  if (state === "DONE") return "0";
  const m = message === undefined
    ? null
    : /exited with code (\d+)|killed by (SIG\w+)/.exec(message);
  return m ? (m[1] ?? m[2]!) : "";
}

function firstLine(text: string | undefined): string {
  return (text ?? "").split("\n")[0]!;
}

/**
 * One task: its state and times, then each attempt's record, its value or error, and the ends of
 * its outputs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatTask } from "./show_text.ts";
 * const text = formatTask({
 *   uid: "task.000001", name: "sim", kind: "executable", workflowId: "main", state: "DONE",
 *   deps: [], attempts: 1, runs: [], value: "42",
 *   records: [{
 *     attempt: 1, command: ["sim", "--seed", "7"], exitCode: 0, host: "n1", pid: 9,
 *     cpuMs: 1500, maxRssKiB: 46_387,
 *   }],
 * });
 * assert.match(text, /^ {2}command +sim --seed 7$/m);
 * assert.match(text, /^ {2}exit +0$/m);
 * assert.match(text, /^ {2}used +1\.50s CPU, 45\.3 MiB peak memory$/m);
 * ```
 */
export function formatTask(view: TaskView): string {
  const lines: string[] = [];
  const field = (name: string, value: string, indent = "") =>
    lines.push(`${indent}${name.padEnd(11)}${value}`);
  field("task", `${view.name} (${view.uid}), ${view.kind}`);
  field("state", view.state + (view.resumed ? " (resumed from an earlier run)" : ""));
  if (view.rerun !== undefined) field("rerun", view.rerun);
  if (view.parent) field("block", view.parent);
  if (view.deps.length > 0) field("after", view.deps.join(", "));
  if (view.backend) field("backend", view.backend + (view.where ? `, ${view.where}` : ""));
  if (view.start !== undefined) field("started", formatTime(view.start));
  if (view.end !== undefined && view.start !== undefined) {
    field("ended", `${formatTime(view.end)} (${formatDuration(view.end - view.start)})`);
  }
  if (view.attempts > 1) field("attempts", String(view.attempts));
  for (const r of view.records) {
    lines.push(view.records.length > 1 || view.attempts > 1 ? `attempt ${r.attempt}:` : "ran:");
    const sub = (name: string, value: string) => field(name, value, "  ");
    if (r.command !== undefined) sub("command", formatCommand(r.command));
    if (r.cwd !== undefined) sub("cwd", r.cwd);
    if (r.env !== undefined) {
      sub("env", Object.entries(r.env).map(([k, v]) => `${k}=${formatCommand([v])}`).join(" "));
    }
    if (r.host !== undefined || r.pid !== undefined) {
      sub("host", `${r.host ?? "?"}${r.pid === undefined ? "" : `, pid ${r.pid}`}`);
    }
    if (r.resources !== undefined) sub("resources", JSON.stringify(r.resources));
    if (r.exitCode !== undefined) sub("exit", String(r.exitCode));
    if (r.signal !== undefined) sub("signal", r.signal);
    if (r.startedAt !== undefined && r.endedAt !== undefined) {
      sub("ran", `${formatTime(r.startedAt)} for ${formatDuration(r.endedAt - r.startedAt)}`);
    }
    const used = [
      ...(r.cpuMs === undefined ? [] : [`${formatDuration(r.cpuMs)} CPU`]),
      ...(r.maxRssKiB === undefined ? [] : [`${formatKiB(r.maxRssKiB)} peak memory`]),
    ];
    if (used.length > 0) sub("used", used.join(", "));
    if (r.stdoutPath !== undefined) {
      sub("stdout", `${r.stdoutPath} (${r.stdoutBytes ?? "?"} bytes)`);
    }
    if (r.stderrPath !== undefined) {
      sub("stderr", `${r.stderrPath} (${r.stderrBytes ?? "?"} bytes)`);
    }
  }
  const fileLines = (name: string, list: readonly FileFingerprint[] = []) =>
    list.forEach((f, i) =>
      field(i === 0 ? name : "", `${f.path} (${f.size} bytes, sha256 ${f.sha256.slice(0, 12)}…)`)
    );
  fileLines("inputs", view.files?.inputs);
  fileLines("outputs", view.files?.outputs);
  if (view.value !== undefined) field("value", view.value);
  if (view.error) {
    lines.push(`error:     ${view.error.name}: ${view.error.message}`);
    if (view.error.stack) lines.push(indent(view.error.stack));
  }
  if (view.stdout) lines.push(...excerptLines("stdout", view.stdout));
  if (view.stderr) lines.push(...excerptLines("stderr", view.stderr));
  return lines.join("\n") + "\n";
}

function excerptLines(name: string, e: OutputExcerpt): string[] {
  if (e.error) return [`${name}: ${e.path}: ${e.error}`];
  if (e.bytes === 0) return [`${name}: (empty)`];
  const out = [`${name} (${e.bytes} bytes):`, indent(e.head.replace(/\n$/, ""))];
  if (e.tail !== undefined) {
    out.push(`  … ${e.omittedBytes} bytes not shown (all of it is in ${e.path}) …`);
    out.push(indent(e.tail.replace(/\n$/, "")));
  }
  return out;
}

function indent(text: string): string {
  return text.split("\n").map((l) => `  ${l}`).join("\n");
}
