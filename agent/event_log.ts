/** An event as kept by the log: its sequence number and its JSON text, made once. */
export interface LoggedEvent {
  readonly seq: number;
  readonly json: string;
}

/**
 * A session's state changes in order, numbered from 1 without gaps. Keeps
 * the last `retain` events in memory (the journal keeps them all); readers
 * wait for new ones without polling.
 *
 * @example
 * ```ts
 * import { EventLog } from "./event_log.ts";
 * const log = new EventLog(10);
 * log.append('{"seq":1}');
 * console.assert(log.since(0, 100)?.length === 1 && log.last === 1);
 * ```
 */
export class EventLog {
  readonly #retain: number;
  #events: LoggedEvent[] = [];
  #first = 1;
  #next = 1;
  #wake: (() => void)[] = [];
  #closed = false;

  /** @param retain How many events stay readable; an older cursor gets `undefined` from `since`. */
  constructor(retain: number) {
    this.#retain = retain;
  }

  /** The sequence number of the last event (0 when none). */
  get last(): number {
    return this.#next - 1;
  }

  /** The sequence number the next event gets. */
  get nextSeq(): number {
    return this.#next;
  }

  /** Whether the log was closed: no event will come. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Adds the event numbered {@linkcode nextSeq} (the caller put that number in `json`). */
  append(json: string): number {
    const seq = this.#next++;
    this.#events.push({ seq, json });
    // Trim in chunks: amortised O(1) per event.
    if (this.#events.length > this.#retain + (this.#retain >> 1)) {
      const drop = this.#events.length - this.#retain;
      this.#events = this.#events.slice(drop);
      this.#first += drop;
    }
    if (this.#wake.length > 0) {
      const wake = this.#wake;
      this.#wake = [];
      for (const w of wake) w();
    }
    return seq;
  }

  /**
   * Up to `max` events after `after`, or `undefined` when events after
   * `after` were already dropped (the reader must re-sync).
   */
  since(after: number, max: number): LoggedEvent[] | undefined {
    if (after < this.#first - 1) return undefined;
    const start = Math.max(0, after - this.#first + 1);
    return this.#events.slice(start, start + max);
  }

  /** Resolves when an event is appended, the log closes, `signal` aborts, or after `ms`. */
  wait(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.#closed || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined = undefined;
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      timer = setTimeout(done, ms);
      signal?.addEventListener("abort", done, { once: true });
      this.#wake.push(done);
    });
  }

  /** Ends the log: waiting readers wake up and see {@linkcode closed}. */
  close(): void {
    this.#closed = true;
    const wake = this.#wake;
    this.#wake = [];
    for (const w of wake) w();
  }
}
