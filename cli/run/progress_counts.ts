/**
 * The counts behind the live progress on a terminal: per template (every call of one definition,
 * as Nextflow counts per process), how many were called, run, finished and failed, how long the
 * finished ones took, and from that an estimate of the time left.
 *
 * @module
 */
import type { TaskEvent } from "../../mod.ts";

/** One template's counts. */
export interface TemplateRow {
  /** The template's name (the definition's: `generate` for `point[3]/generate`). */
  name: string;
  /** Whether its calls are blocks, whose time is their members'. */
  block: boolean;
  /** Calls made. */
  total: number;
  /** Calls running now. */
  running: number;
  /** Calls done, failed, cancelled. */
  done: number;
  failed: number;
  cancelled: number;
  /** Sum and number of the run times of the calls that ran and finished, in ms. */
  finishedMs: number;
  finishedCount: number;
}

interface Live {
  row: TemplateRow;
  /** When its current attempt started running (event time), while it runs. */
  startedAt: number | undefined;
}

/**
 * Counts a run's events by template.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TemplateCounts } from "./progress_counts.ts";
 * const counts = new TemplateCounts();
 * const base = { kind: "executable" as const, workflowId: "main", template: "generate" };
 * for (let i = 0; i < 4; i++) {
 *   counts.onEvent({ ...base, type: "created", time: 0, uid: `t${i}`, name: `p[${i}]/generate` });
 * }
 * counts.onEvent({ ...base, type: "running", time: 0, uid: "t0", name: "p[0]/generate" });
 * counts.onEvent({ ...base, type: "done", time: 10_000, uid: "t0", name: "p[0]/generate" });
 * // Three calls left at 10 s each, one at a time: 30 s.
 * assert.equal(counts.etaMs(10_000), 30_000);
 * assert.equal(counts.rows()[0]!.done, 1);
 * ```
 */
export class TemplateCounts {
  readonly #rows = new Map<string, TemplateRow>();
  readonly #live = new Map<string, Live>();
  #runningTasks = 0;

  /** Takes one engine event. */
  onEvent(e: TaskEvent): void {
    if (e.type === "created") {
      const name = e.template ?? e.name;
      const key = `${e.kind === "block" ? "b" : "t"}:${name}`;
      let row = this.#rows.get(key);
      if (row === undefined) {
        row = {
          name,
          block: e.kind === "block",
          total: 0,
          running: 0,
          done: 0,
          failed: 0,
          cancelled: 0,
          finishedMs: 0,
          finishedCount: 0,
        };
        this.#rows.set(key, row);
      }
      row.total++;
      this.#live.set(e.uid, { row, startedAt: undefined });
      return;
    }
    const live = this.#live.get(e.uid);
    if (live === undefined) return;
    const row = live.row;
    const wasRunning = live.startedAt !== undefined;
    switch (e.type) {
      case "running":
        if (wasRunning) return;
        live.startedAt = e.time;
        row.running++;
        if (!row.block) this.#runningTasks++;
        return;
      case "retried":
        this.#stop(live);
        return;
      case "done":
      case "failed":
      case "cancelled":
        if (e.type === "done" && wasRunning && !e.resumed) {
          row.finishedMs += e.time - live.startedAt!;
          row.finishedCount++;
        }
        this.#stop(live);
        row[e.type]++;
        this.#live.delete(e.uid);
    }
  }

  #stop(live: Live): void {
    if (live.startedAt === undefined) return;
    live.startedAt = undefined;
    live.row.running--;
    if (!live.row.block) this.#runningTasks--;
  }

  /** The templates, in the order they were first called. */
  rows(): TemplateRow[] {
    return [...this.#rows.values()];
  }

  /**
   * The time left, in ms, for the tasks called so far: each unfinished task is expected to take
   * the mean run time of its template's finished tasks (less what a running one has already
   * run), and the work is shared by as many tasks as run now (at least one). Blocks are left
   * out: their time is their members'. `undefined` when it cannot be told: a template with
   * unfinished tasks has none finished yet, or nothing is left.
   *
   * @param now The current time, on the events' clock (ms since the epoch).
   */
  etaMs(now: number): number | undefined {
    let work = 0;
    let left = 0;
    const means = new Map<TemplateRow, number>();
    for (const row of this.#rows.values()) {
      if (row.block) continue;
      const unfinished = row.total - row.done - row.failed - row.cancelled;
      if (unfinished === 0) continue;
      if (row.finishedCount === 0) return undefined;
      const mean = row.finishedMs / row.finishedCount;
      means.set(row, mean);
      work += (unfinished - row.running) * mean;
      left += unfinished;
    }
    if (left === 0) return undefined;
    for (const live of this.#live.values()) {
      const mean = means.get(live.row);
      if (mean !== undefined && live.startedAt !== undefined) {
        work += Math.max(0, mean - (now - live.startedAt));
      }
    }
    return work / Math.max(1, this.#runningTasks);
  }
}

/** The most templates shown, one line each; the rest are summed up in one line. */
export const MAX_TEMPLATE_LINES = 8;
/** The widest a template's name is shown. */
const NAME_COLUMNS = 24;

/**
 * One line per template, as Nextflow shows processes: `generate [ 45%] 9 of 20 · 2 running ·
 * 1 failed`, names padded to one column. Templates with unfinished calls come first; above
 * {@linkcode MAX_TEMPLATE_LINES}, one last line sums up the others. Every line fits `width`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { templateLines } from "./progress_counts.ts";
 * const row = { name: "generate", block: false, total: 20, running: 2, done: 8, failed: 1, cancelled: 0, finishedMs: 0, finishedCount: 0 };
 * assert.deepEqual(templateLines([row], 80), ["generate [ 45%] 9 of 20 · 2 running · 1 failed"]);
 * ```
 */
export function templateLines(rows: readonly TemplateRow[], width: number): string[] {
  const finished = (r: TemplateRow) => r.done + r.failed + r.cancelled;
  const open = rows.filter((r) => finished(r) < r.total);
  const ordered = [...open, ...rows.filter((r) => finished(r) === r.total)];
  const shown = ordered.length > MAX_TEMPLATE_LINES
    ? ordered.slice(0, MAX_TEMPLATE_LINES - 1)
    : ordered;
  const label = (r: TemplateRow) => {
    const name = r.block ? `${r.name} (block)` : r.name;
    return name.length > NAME_COLUMNS ? `${name.slice(0, NAME_COLUMNS - 1)}…` : name;
  };
  const pad = Math.max(0, ...shown.map((r) => label(r).length));
  const lines = shown.map((r) => {
    const pct = r.total === 0 ? 0 : Math.floor((finished(r) / r.total) * 100);
    const parts = [
      `${label(r).padEnd(pad)} [${String(pct).padStart(3)}%] ${finished(r)} of ${r.total}`,
    ];
    if (r.running > 0) parts.push(`${r.running} running`);
    if (r.failed > 0) parts.push(`${r.failed} failed`);
    if (r.cancelled > 0) parts.push(`${r.cancelled} cancelled`);
    return fit(parts.join(" · "), width);
  });
  const rest = ordered.slice(shown.length);
  if (rest.length > 0) {
    const done = rest.reduce((n, r) => n + finished(r), 0);
    const total = rest.reduce((n, r) => n + r.total, 0);
    lines.push(fit(`… ${rest.length} more templates: ${done} of ${total}`, width));
  }
  return lines;
}

/** The line cut to fit `width` columns (one left free, so the terminal does not wrap). */
export function fit(line: string, width: number): string {
  const max = Math.max(10, width - 1);
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
