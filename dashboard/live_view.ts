import { now, type TaskEvent } from "../src/events.ts";
import { renderReportBody, type ReportOptions } from "../report/report.ts";

/** A change of the view: new events (`version`), the run's end, or time passing (`tick`). */
export type ViewListener = (version: number, finished: boolean, tick: boolean) => void;

/**
 * The events of one run and the report view of them, re-rendered at most once per interval while
 * events arrive. Rendering runs in the thread that runs the workflow, so the interval adapts: it
 * is at least five times the last rendering's duration, and a busy run is never slowed by more
 * than a fifth by its dashboard. While tasks are running and no event comes, the view still moves
 * on once per interval (a tick): it is drawn up to the current time, so running bars grow.
 */
export class LiveView {
  readonly #events: TaskEvent[] = [];
  readonly #options: ReportOptions;
  readonly #minIntervalMs: number;
  readonly #listeners = new Set<ViewListener>();
  /** The attempts running now, by uid: while there are any, time passing changes the view. */
  readonly #running = new Set<string>();
  #rendered: { version: number; ticks: number; html: string } | undefined;
  #lastRenderMs = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #finished = false;
  /** How many times the view moved on without a new event. */
  #ticks = 0;
  /** The version listeners were last told of. */
  #told = 0;

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
    if (event.type === "running") this.#running.add(event.uid);
    else if (FINAL.has(event.type)) this.#running.delete(event.uid);
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

  /** How many times the view has moved on without a new event (while tasks ran). */
  get ticks(): number {
    return this.#ticks;
  }

  /**
   * The report body of every event so far, cached per version and tick. While the run goes on,
   * it is drawn up to the current time.
   */
  html(): string {
    if (this.#rendered?.version !== this.version || this.#rendered.ticks !== this.#ticks) {
      const start = performance.now();
      // While it goes on, the header says so rather than that the run may have been interrupted.
      const options = this.#finished
        ? this.#options
        : { ...this.#options, now: now(), run: { ...this.#options.run, status: "running" } };
      this.#rendered = {
        version: this.version,
        ticks: this.#ticks,
        html: renderReportBody(this.#events, options),
      };
      this.#lastRenderMs = performance.now() - start;
    }
    return this.#rendered.html;
  }

  /**
   * Calls `listener(version, finished, tick)` on every change, until the returned function is
   * called.
   */
  listen(listener: ViewListener): () => void {
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
    if (this.#timer !== undefined || this.#finished) return;
    const delay = Math.max(this.#minIntervalMs, 5 * this.#lastRenderMs);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.version !== this.#told) this.#notify();
      else if (this.#running.size > 0) {
        this.#ticks++;
        this.#notify(true);
      }
      // While tasks run, time keeps changing the view, events or not.
      if (this.#running.size > 0) this.#schedule();
    }, delay);
  }

  #notify(tick = false): void {
    this.#told = this.version;
    for (const listener of this.#listeners) listener(this.version, this.#finished, tick);
  }
}

/** The events after which an attempt no longer runs. */
const FINAL: ReadonlySet<string> = new Set(["done", "failed", "cancelled", "retried"]);
