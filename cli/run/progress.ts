/**
 * What a run shows while it goes: on a terminal, one status line rewritten
 * in place at most 10 times a second (counts by state, rate, elapsed, ETA);
 * otherwise one plain log line per finished task, for log files and CI.
 *
 * @module
 */
import type { EngineStats, TaskEvent } from "../../mod.ts";
import type { CliIo } from "../io.ts";

const REDRAW_MS = 100;
const CLEAR_LINE = "\r\x1b[2K";

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
  #timer: ReturnType<typeof setInterval> | undefined;
  #shown = "";

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
    if (this.#io.errIsTTY) return;
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
  }

  /**
   * The status line: counts, rate, elapsed time and ETA.
   *
   * @returns One line of text.
   */
  statusLine(): string {
    const s = this.#stats();
    const elapsed = (performance.now() - this.#start) / 1000;
    const finished = s.done + s.failed + s.cancelled;
    const rate = elapsed > 0 ? finished / elapsed : 0;
    const left = s.pending + s.running;
    const eta = rate > 0 && left > 0 ? ` | ETA ${clock((left / rate) * 1000)}` : "";
    const parts = [`${s.done}/${s.created} done`, `${s.running} running`, `${s.pending} pending`];
    if (s.failed > 0) parts.push(`${s.failed} failed`);
    if (s.cancelled > 0) parts.push(`${s.cancelled} cancelled`);
    if (s.retried > 0) parts.push(`${s.retried} retried`);
    return `${parts.join(" · ")} | ${rate.toFixed(1)} tasks/s | ${clock(elapsed * 1000)}${eta}`;
  }

  #draw(): void {
    let line = this.statusLine();
    const width = this.#io.columns ?? 80;
    if (line.length >= width) line = line.slice(0, width - 1);
    if (line === this.#shown) return;
    this.#shown = line;
    this.#io.err(CLEAR_LINE + line);
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
