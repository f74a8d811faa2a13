/** An event as kept by the log: its sequence number and its JSON text, made once. */
export interface LoggedEvent {
  readonly seq: number;
  readonly json: string;
}

/**
 * A session's state changes in order, numbered from 1. Keeps the last
 * `retain` events in memory (the journal keeps them all); readers wait for
 * new ones without polling. Numbers are never reused: an event replayed from
 * the journal keeps its number, even when a torn line left a gap before it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EventLog } from "./event_log.ts";
 * const log = new EventLog(10);
 * log.append('{"seq":1}');
 * log.append('{"seq":3}', 3); // replayed after a lost line: 2 stays unused
 * assert.deepEqual(log.since(1, 100)?.map((e) => e.seq), [3]);
 * assert.equal(log.nextSeq, 4);
 * ```
 */
export class EventLog {
  readonly #retain: number;
  readonly #retainBytes: number;
  #bytes = 0;
  #events: LoggedEvent[] = [];
  /** The number of the last event trimmed from memory (0 when none was). */
  #dropped = 0;
  #next = 1;
  #wake = new Set<() => void>();
  #closed = false;

  /**
   * @param retain How many events stay readable; an older cursor gets `undefined` from `since`.
   * @param retainBytes How much of their JSON stays in memory (large inline outputs would
   * otherwise keep a session's whole history). Default 64 MiB.
   */
  constructor(retain: number, retainBytes: number = 64 * 1024 * 1024) {
    this.#retain = retain;
    this.#retainBytes = retainBytes;
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

  /**
   * Adds an event numbered `seq` (the caller put that number in `json`): by default
   * {@linkcode nextSeq}; a replayed event gives its own, which must be higher than the last.
   *
   * @returns The event's number, or 0 when `seq` is not above the last one (the event is ignored).
   */
  append(json: string, seq: number = this.#next): number {
    if (seq < this.#next) return 0;
    this.#next = seq + 1;
    this.#events.push({ seq, json });
    this.#bytes += json.length;
    // Trim in chunks (to the count, and to 3/4 of the bytes): amortised O(1) per event.
    if (
      this.#events.length > this.#retain + (this.#retain >> 1) || this.#bytes > this.#retainBytes
    ) {
      let drop = Math.max(0, this.#events.length - this.#retain);
      let bytes = this.#bytes;
      for (let i = 0; i < drop; i++) bytes -= this.#events[i]!.json.length;
      while (drop < this.#events.length - 1 && bytes > (this.#retainBytes >> 2) * 3) {
        bytes -= this.#events[drop++]!.json.length;
      }
      if (drop > 0) {
        this.#dropped = this.#events[drop - 1]!.seq;
        this.#events = this.#events.slice(drop);
        this.#bytes = bytes;
      }
    }
    if (this.#wake.size > 0) {
      const wake = this.#wake;
      this.#wake = new Set();
      for (const w of wake) w();
    }
    return seq;
  }

  /**
   * Up to `max` events after `after`, or `undefined` when events after
   * `after` were already dropped (the reader must re-sync).
   */
  since(after: number, max: number): LoggedEvent[] | undefined {
    if (after < this.#dropped) return undefined;
    // The first event numbered above `after` (numbers rise, with rare gaps): binary search.
    let lo = 0;
    let hi = this.#events.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#events[mid]!.seq <= after) lo = mid + 1;
      else hi = mid;
    }
    return this.#events.slice(lo, lo + max);
  }

  /** Resolves when an event is appended, the log closes, `signal` aborts, or after `ms`. */
  wait(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.#closed || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined = undefined;
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        // A reader that timed out (an idle long poll) leaves nothing behind.
        this.#wake.delete(done);
        resolve();
      };
      timer = setTimeout(done, ms);
      signal?.addEventListener("abort", done, { once: true });
      this.#wake.add(done);
    });
  }

  /** Ends the log: waiting readers wake up and see {@linkcode closed}. */
  close(): void {
    this.#closed = true;
    const wake = this.#wake;
    this.#wake = new Set();
    for (const w of wake) w();
  }

  /** How many readers wait for an event. */
  get waiting(): number {
    return this.#wake.size;
  }
}
