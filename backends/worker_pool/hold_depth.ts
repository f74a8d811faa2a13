/**
 * How many jobs a worker holds at once, from how long tasks run.
 *
 * @module
 */
import type { PoolMode } from "./claims.ts";

/**
 * Jobs a worker holds at once when tasks are short: the one it runs and the
 * next ones, so it never waits for a message between tasks, and refilled by
 * halves, so that one message carries several jobs. Held jobs have not
 * started: an idle worker takes them over, and cancelling one just
 * withdraws it.
 */
export const DEEP = 8;
/**
 * Jobs a worker holds when tasks are long: a message costs nothing beside
 * them, and a held job would only wait there while a task of higher priority
 * or another worker could have had it.
 */
const SHALLOW = 2;
/** Tasks whose mean run time is below this (ms) count as short. */
const SHORT_TASK_MS = 1;
/** Weight of the latest run time in the mean (an exponential moving average). */
const RUN_TIME_WEIGHT = 1 / 16;

/** The depth of a pool's workers, following the mean run time of its recent tasks. */
export class HoldDepth {
  /** The mean run time of recent tasks (ms); until one finished, tasks count as long. */
  #meanRunMs = Infinity;
  readonly #mode: PoolMode;

  /** @param mode In `"messages"` mode a worker holds only the job it runs: a held job could not be taken back. */
  constructor(mode: PoolMode) {
    this.#mode = mode;
  }

  /** A task ran for `ms`. */
  ran(ms: number): void {
    this.#meanRunMs = this.#meanRunMs === Infinity
      ? ms
      : this.#meanRunMs + (ms - this.#meanRunMs) * RUN_TIME_WEIGHT;
  }

  /** How many jobs a worker may hold now. */
  get depth(): number {
    if (this.#mode === "messages") return 1;
    return this.#meanRunMs < SHORT_TASK_MS ? DEEP : SHALLOW;
  }
}
