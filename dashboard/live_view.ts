import type { TaskEvent } from "../src/events.ts";
import { renderReportBody, type ReportOptions } from "../report/report.ts";

/**
 * The events of one run and the report view of them, re-rendered at most once per interval while
 * events arrive. Rendering runs in the thread that runs the workflow, so the interval adapts: it
 * is at least five times the last rendering's duration, and a busy run is never slowed by more
 * than a fifth by its dashboard.
 */
export class LiveView {
  readonly #events: TaskEvent[] = [];
  readonly #options: ReportOptions;
  readonly #minIntervalMs: number;
  readonly #listeners = new Set<(version: number, finished: boolean) => void>();
  #rendered: { version: number; html: string } | undefined;
  #lastRenderMs = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #finished = false;

  constructor(options: ReportOptions, minIntervalMs: number) {
    this.#options = options;
    this.#minIntervalMs = minIntervalMs;
  }

  /** How many events the view holds: the version a client asks for. */
  get version(): number {
    return this.#events.length;
  }

  /** Whether the run has ended (no more events will come). */
  get finished(): boolean {
    return this.#finished;
  }

  /** Adds an event; listeners hear of it within the interval. */
  push(event: TaskEvent): void {
    if (this.#finished) return;
    this.#events.push(event);
    this.#schedule();
  }

  /** Adds many events at once (a replayed trace). */
  pushAll(events: readonly TaskEvent[]): void {
    for (const e of events) this.push(e);
  }

  /** Marks the run as ended and tells the listeners at once. */
  finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#notify();
  }

  /** The report body of every event so far (cached per version). */
  html(): string {
    if (this.#rendered?.version !== this.version) {
      const start = performance.now();
      this.#rendered = {
        version: this.version,
        html: renderReportBody(this.#events, this.#options),
      };
      this.#lastRenderMs = performance.now() - start;
    }
    return this.#rendered.html;
  }

  /** Calls `listener(version, finished)` on every change, until the returned function is called. */
  listen(listener: (version: number, finished: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops the timer (the server closes). */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#listeners.clear();
  }

  #schedule(): void {
    if (this.#timer !== undefined) return;
    const delay = Math.max(this.#minIntervalMs, 5 * this.#lastRenderMs);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#notify();
    }, delay);
  }

  #notify(): void {
    for (const listener of this.#listeners) listener(this.version, this.#finished);
  }
}
