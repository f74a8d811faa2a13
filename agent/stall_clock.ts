/**
 * Time the agent could not observe. While its thread is busy (a CPU-bound function in-process)
 * or its process is suspended (SIGSTOP, Slurm suspend), clients' requests wait in the kernel
 * unread; a deadline measured in wall-clock time would expire every session at the first timer
 * after the stall — before the requests that prove their clients alive are even read.
 *
 * @module
 */

/**
 * Measures, at each tick of a periodic timer, how much longer than its period the last gap was
 * (when that is more than one period: timers are never exact).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { StallClock } from "./stall_clock.ts";
 * const clock = new StallClock(250, 0);
 * assert.equal(clock.stalled(260), 0); // on time
 * assert.equal(clock.stalled(260 + 5_250), 5_000); // the thread was away for 5 s
 * ```
 */
export class StallClock {
  readonly #periodMs: number;
  #last: number;

  /**
   * @param periodMs The period of the timer that calls {@linkcode stalled}.
   * @param now The time of the start, in ms. Default `Date.now()`.
   */
  constructor(periodMs: number, now: number = Date.now()) {
    this.#periodMs = periodMs;
    this.#last = now;
  }

  /**
   * @param now The time of this tick, in ms.
   * @returns The ms the agent was away beyond the timer's period, or 0.
   */
  stalled(now: number): number {
    const gap = now - this.#last;
    this.#last = now;
    return gap > 2 * this.#periodMs ? gap - this.#periodMs : 0;
  }
}
