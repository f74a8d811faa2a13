import { type GraphNode, type TaskGraph, templateOf } from "../graph/graph_model.ts";
import { formatMs } from "./_time_axis.ts";
import { formatKiB } from "./format_kib.ts";
import { escapeHtml } from "./html_escape.ts";
import { numCell, type SortableColumn, sortableTable } from "./task_table.ts";

/** What the report says of one template: every call of one definition. */
export interface TemplateStats {
  /** The template's name (the definition's). */
  template: string;
  /** Function, executable or block. */
  kind: GraphNode["kind"];
  /** How many calls. */
  count: number;
  /** How many ended done, failed, cancelled; how many came from a resumed run. */
  done: number;
  failed: number;
  cancelled: number;
  resumed: number;
  /** Attempts that failed and were run again. */
  retries: number;
  /** Durations of the calls that ran to an end (not resumed), in ms; absent when none did. */
  minMs?: number;
  medianMs?: number;
  maxMs?: number;
  /**
   * CPU time of the calls whose record has it (commands, measured functions), in ms: the sum,
   * and the mean over those calls; absent when none has.
   */
  totalCpuMs?: number;
  meanCpuMs?: number;
  /** The highest peak memory of a call, in KiB; absent when none has a figure. */
  maxRssKiB?: number;
}

/**
 * The statistics per template, in the order templates first appear: counts by outcome, the
 * minimum, median and maximum duration of the calls that ran and ended, and the CPU time and
 * peak memory their records give (each call's last attempt).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildGraph } from "../graph/mod.ts";
 * import { templateStats } from "./template_stats.ts";
 * const base = { kind: "executable" as const, workflowId: "main", template: "generate" };
 * const events = [10, 30, 20].flatMap((ms, i) => [
 *   { ...base, type: "created" as const, time: 0, uid: `t${i}`, name: `point[${i}]/generate`, deps: [] },
 *   { ...base, type: "running" as const, time: 0, uid: `t${i}`, name: `point[${i}]/generate`, attempt: 1 },
 *   { ...base, type: "done" as const, time: ms, uid: `t${i}`, name: `point[${i}]/generate`,
 *     record: { cpuMs: ms / 2, maxRssKiB: 1000 + ms } },
 * ]);
 * const [stats] = templateStats(buildGraph(events));
 * assert.deepEqual([stats!.template, stats!.count, stats!.minMs, stats!.medianMs, stats!.maxMs], ["generate", 3, 10, 20, 30]);
 * assert.deepEqual([stats!.totalCpuMs, stats!.meanCpuMs, stats!.maxRssKiB], [30, 10, 1030]);
 * ```
 */
export function templateStats(graph: TaskGraph): TemplateStats[] {
  const groups = new Map<string, { stats: TemplateStats; durations: number[]; cpu: number[] }>();
  for (const n of graph.nodes) {
    const template = templateOf(n);
    const key = `${n.kind}:${template}`;
    let group = groups.get(key);
    if (group === undefined) {
      group = {
        stats: {
          template,
          kind: n.kind,
          count: 0,
          done: 0,
          failed: 0,
          cancelled: 0,
          resumed: 0,
          retries: 0,
        },
        durations: [],
        cpu: [],
      };
      groups.set(key, group);
    }
    const s = group.stats;
    s.count++;
    if (n.state === "DONE") s.done++;
    else if (n.state === "FAILED") s.failed++;
    else if (n.state === "CANCELLED") s.cancelled++;
    if (n.resumed) s.resumed++;
    s.retries += n.runs.filter((r) => r.outcome === "retried").length;
    if (n.start !== undefined && n.end !== undefined && !n.resumed) {
      group.durations.push(n.end - n.start);
    }
    if (n.cpuMs !== undefined) group.cpu.push(n.cpuMs);
    if (n.maxRssKiB !== undefined) s.maxRssKiB = Math.max(s.maxRssKiB ?? 0, n.maxRssKiB);
  }
  return [...groups.values()].map(({ stats, durations, cpu }) => {
    if (cpu.length > 0) {
      stats.totalCpuMs = cpu.reduce((a, b) => a + b, 0);
      stats.meanCpuMs = stats.totalCpuMs / cpu.length;
    }
    if (durations.length === 0) return stats;
    durations.sort((a, b) => a - b);
    const mid = durations.length >> 1;
    stats.minMs = durations[0]!;
    stats.maxMs = durations.at(-1)!;
    stats.medianMs = durations.length % 2 === 1
      ? durations[mid]!
      : (durations[mid - 1]! + durations[mid]!) / 2;
    return stats;
  });
}

const COLUMNS: readonly SortableColumn[] = [
  { title: "template", type: "text" },
  { title: "kind", type: "text" },
  { title: "count", type: "num" },
  { title: "done", type: "num" },
  { title: "failed", type: "num" },
  { title: "cancelled", type: "num" },
  { title: "resumed", type: "num" },
  { title: "retries", type: "num" },
  { title: "min", type: "num" },
  { title: "median", type: "num" },
  { title: "max", type: "num" },
];
/** Shown when some call has a figure (a run that measured). */
const USAGE_COLUMNS: readonly SortableColumn[] = [
  { title: "CPU total", type: "num" },
  { title: "CPU mean", type: "num" },
  { title: "peak memory", type: "num" },
];

/** The statistics per template as a sortable table. */
export function renderTemplateStats(graph: TaskGraph): string {
  const stats = templateStats(graph);
  if (stats.length === 0) return `<p class="empty">The trace holds no task.</p>`;
  const ms = (v: number | undefined) => numCell(v, v === undefined ? "" : formatMs(v));
  const count = (v: number) => numCell(v, String(v));
  const kib = (v: number | undefined) => numCell(v, v === undefined ? "" : formatKiB(v));
  const usage = stats.some((s) => s.totalCpuMs !== undefined || s.maxRssKiB !== undefined);
  const rows = stats.map((s) => [
    `<td>${escapeHtml(s.template)}</td>`,
    `<td>${s.kind}</td>`,
    count(s.count),
    count(s.done),
    count(s.failed),
    count(s.cancelled),
    count(s.resumed),
    count(s.retries),
    ms(s.minMs),
    ms(s.medianMs),
    ms(s.maxMs),
    ...(usage ? [ms(s.totalCpuMs), ms(s.meanCpuMs), kib(s.maxRssKiB)] : []),
  ]);
  const columns = usage ? [...COLUMNS, ...USAGE_COLUMNS] : COLUMNS;
  return sortableTable("templates", columns, rows, stats.map(() => ""));
}
