/**
 * What a run shows while it goes: on a terminal, a few lines rewritten in
 * place at most 10 times a second — one per template (`generate [ 45%] 9 of
 * 20`) and the totals (counts by state, rate, elapsed, an ETA when one can be
 * told) — with each failure printed above them as it happens; otherwise one
 * plain log line per finished task, for log files and CI. Every live line
 * fits the terminal's width (80 columns when it does not say).
 *
 * @module
 */
import type { EngineStats, TaskEvent } from "../../mod.ts";
import type { CliIo } from "../io.ts";
import { fit, TemplateCounts, templateLines } from "./progress_counts.ts";

const REDRAW_MS = 100;
/** Back to the start of the line and erase to the end of the screen. */
const CLEAR_BELOW = "\r\x1b[J";

/**
 * Renders a run's progress to standard error.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { memoryIo } from "../io.ts";
 * import { ProgressView } from "./progress.ts";
 * const io = memoryIo(false);
 * const stats = { created: 1, pending: 0, running: 0, done: 1, failed: 0, cancelled: 0, retried: 0 };
 * const view = new ProgressView(io, () => stats);
 * view.onEvent({ type: "done", time: Date.now(), uid: "task.000001", name: "a", kind: "function", workflowId: "main" });
 * view.finish();
 * assert.match(io.stderr, /done +a \(task\.000001\)/);
 * ```
 */
export class ProgressView {
  readonly #io: CliIo;
  readonly #stats: () => EngineStats;
  readonly #start = performance.now();
  readonly #started = new Map<string, number>();
  /** The first task that failed with each error: a repeat names it instead of the error again. */
  readonly #firstFailure = new Map<string, string>();
  readonly #counts = new TemplateCounts();
  #timer: ReturnType<typeof setInterval> | undefined;
  /** The live lines on the screen now, to move back over them. */
  #shown: string[] = [];

  /**
   * @param io Where to write (a live line when `io.errIsTTY`).
   * @param stats The engine's counters.
   */
  constructor(io: CliIo, stats: () => EngineStats) {
    this.#io = io;
    this.#stats = stats;
    if (io.errIsTTY) this.#timer = setInterval(() => this.#draw(), REDRAW_MS);
  }

  /** Takes one engine event; a listener for `flow.subscribe`. */
  readonly onEvent = (event: TaskEvent): void => {
    if (this.#io.errIsTTY) {
      this.#counts.onEvent(event);
      // A failure is printed above the live lines as it happens; one that only follows from a
      // failed dependency is counted, not printed: one root can cause thousands.
      if (event.type === "running") this.#started.set(event.uid, event.time);
      else if (event.rerun !== undefined) this.#printAbove(this.#logLine(event)!);
      else if (event.type === "failed" && event.error?.name !== "DependencyFailureError") {
        this.#printAbove(this.#logLine(event)!);
      } else if (event.type === "done" || event.type === "failed" || event.type === "cancelled") {
        this.#started.delete(event.uid);
      }
      return;
    }
    if (event.type === "running") {
      this.#started.set(event.uid, event.time);
      return;
    }
    const line = this.#logLine(event);
    if (line !== undefined) this.#io.err(`[${clock(performance.now() - this.#start)}] ${line}\n`);
  };

  /** Draws the final state and stops redrawing. */
  finish(): void {
    if (this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#draw();
    this.#io.err("\n");
    this.#shown = []; // below the final lines now: nothing to move back over
  }

  /**
   * The status line: counts, rate, elapsed time and — when the finished tasks of every template
   * with tasks left tell how long they take — the time left. Parts that do not fit `width` are
   * left out, least telling first.
   *
   * @param width The columns it may take. Default: the terminal's, else 80.
   * @returns One line of text.
   */
  statusLine(width: number = this.#io.columns ?? 80): string {
    const s = this.#stats();
    const elapsed = (performance.now() - this.#start) / 1000;
    const finished = s.done + s.failed + s.cancelled;
    const rate = elapsed > 0 ? finished / elapsed : 0;
    const eta = this.#counts.etaMs(performance.timeOrigin + performance.now());
    const counts = [`${s.done}/${s.created} done`, `${s.running} running`];
    const pending = `${s.pending} pending`;
    const failed = s.failed > 0 ? [`${s.failed} failed`] : [];
    const cancelled = s.cancelled > 0 ? [`${s.cancelled} cancelled`] : [];
    const retried = s.retried > 0 ? [`${s.retried} retried`] : [];
    const time = clock(elapsed * 1000);
    const etaPart = eta === undefined ? [] : [`ETA ${clock(eta)}`];
    const candidates = [
      [[...counts, pending, ...failed, ...cancelled, ...retried], [
        `${rate.toFixed(1)} tasks/s`,
        time,
        ...etaPart,
      ]],
      [[...counts, pending, ...failed, ...cancelled, ...retried], [time, ...etaPart]],
      [[...counts, ...failed, ...cancelled], [time, ...etaPart]],
      [[...counts, ...failed], [time, ...etaPart]],
    ];
    const line = (c: string[][]) => [c[0]!.join(" · "), ...c[1]!].join(" | ");
    const fitting = candidates.map(line).find((l) => l.length < width);
    return fitting ?? fit(line(candidates.at(-1)!), width);
  }

  /** The live lines: one per template, then the status line; each fits the terminal. */
  liveLines(): string[] {
    const width = this.#io.columns ?? 80;
    const templates = this.#counts.rows();
    // One template says no more than the status line does.
    const lines = templates.length > 1 ? templateLines(templates, width) : [];
    lines.push(this.statusLine(width));
    return lines;
  }

  #draw(): void {
    const lines = this.liveLines();
    if (lines.join("\n") === this.#shown.join("\n")) return;
    this.#io.err(this.#clearShown() + lines.join("\n"));
    this.#shown = lines;
  }

  /** Prints a line above the live lines, which are drawn again below it. */
  #printAbove(text: string): void {
    if (this.#timer === undefined) { // finished: the live lines are history, print below them
      this.#io.err(`${text}\n`);
      return;
    }
    const lines = this.liveLines();
    this.#io.err(`${this.#clearShown()}${text}\n${lines.join("\n")}`);
    this.#shown = lines;
  }

  /** What moves the cursor back to the first live line and erases them all. */
  #clearShown(): string {
    const up = this.#shown.length > 1 ? `\x1b[${this.#shown.length - 1}A` : "";
    return up + CLEAR_BELOW;
  }

  #logLine(e: TaskEvent): string | undefined {
    const what = `${e.kind === "block" ? "block " : ""}${e.name} (${e.uid})`;
    const started = this.#started.get(e.uid);
    const took = started === undefined ? "" : ` in ${seconds(e.time - started)}`;
    switch (e.type) {
      case "done":
        this.#started.delete(e.uid);
        return `done      ${what}${e.resumed ? " (resumed from the trace)" : took}`;
      case "failed": {
        this.#started.delete(e.uid);
        const error = `${e.error?.name ?? "Error"}: ${e.error?.message ?? ""}`;
        const first = this.#firstFailure.get(error);
        if (first !== undefined) return `failed    ${what}${took}: the same error as ${first}`;
        this.#firstFailure.set(error, e.uid);
        return `failed    ${what}${took}: ${error}${stackFrames(e.error?.stack)}`;
      }
      case "cancelled":
        this.#started.delete(e.uid);
        return `cancelled ${what}: ${e.error?.message ?? ""}`;
      case "retried":
        return `retrying  ${what} after attempt ${e.attempt ?? "?"}: ${e.error?.message ?? ""}`;
      case "queued":
        // On a resumed run: why a task recorded as done runs again.
        return e.rerun === undefined ? undefined : `rerun     ${what}: ${e.rerun}`;
      default:
        return undefined;
    }
  }
}

/** Where asyncflow's own code is: its frames say nothing about the task's error. */
const OWN_CODE = ["src/", "backends/", "agent/"].flatMap((dir) => {
  const url = new URL(`../../${dir}`, import.meta.url);
  return [url.href, decodeURIComponent(url.pathname)]; // Bun's frames give paths, not URLs
});

/** The first frames of a task's own error, one per line under its failure (none for asyncflow's). */
function stackFrames(stack: string | undefined): string {
  const frames = (stack ?? "").split("\n").filter((l) =>
    /^\s+at /.test(l) && !OWN_CODE.some((own) => l.includes(own)) &&
    !/\b(node:internal|ext:)/.test(l)
  );
  if (frames.length === 0) return "";
  const shown = frames.slice(0, 8).map((f) => `\n              ${f.trim()}`).join("");
  return frames.length > 8 ? `${shown}\n              … ${frames.length - 8} more` : shown;
}

/** `m:ss.s` for a duration in ms. */
function clock(ms: number): string {
  const total = Math.max(0, ms) / 1000;
  const m = Math.floor(total / 60);
  const s = total - m * 60;
  return `${m}:${s.toFixed(1).padStart(4, "0")}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)}s`;
}
