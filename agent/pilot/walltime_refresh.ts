/**
 * Following the allocation's end while the job runs: Slurm's time limit can change under a
 * running job (`scontrol update JobId=… TimeLimit=…`, an extension granted by the site), and the
 * agent's {@linkcode AllocationClock} must move with it, or it drains too early or is killed
 * before its cut. The end is asked for again every `everyMs` and on demand.
 *
 * @module
 */
import type { AllocationClock } from "./walltime.ts";

/** Options of {@linkcode WalltimeRefresh}. */
export interface WalltimeRefreshOptions {
  /** Asks Slurm for the end now (`jobEnd`); `undefined` when the job has no limit. */
  read: () => Promise<number | undefined>;
  /** How often to ask, in ms. */
  everyMs: number;
  /** Told when the end moved. */
  onChange?: (endsAt: number, before: number) => void;
  /** Told why asking failed, or why the answer was not taken (the clock keeps its end). */
  onProblem?: (why: string) => void;
}

/**
 * Asks for the allocation's end again and again, and moves the clock when it changed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AllocationClock } from "@asyncflow/asyncflow/agent/pilot";
 * import { WalltimeRefresh } from "./walltime_refresh.ts";
 * const clock = new AllocationClock({ endsAt: Date.now() + 3_600_000, onDrain() {}, onCut() {} });
 * const later = clock.endsAt + 600_000;
 * const refresh = new WalltimeRefresh(clock, { read: async () => later, everyMs: 60_000 });
 * assert.equal(await refresh.refresh(), later);
 * assert.equal(clock.endsAt, later);
 * refresh.close();
 * clock.close();
 * ```
 */
export class WalltimeRefresh {
  readonly #clock: AllocationClock;
  readonly #o: WalltimeRefreshOptions;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #reading: Promise<number> | undefined;
  #closed = false;

  /**
   * Starts asking every `everyMs`.
   *
   * @throws {RangeError} When `everyMs` is not a positive number.
   */
  constructor(clock: AllocationClock, options: WalltimeRefreshOptions) {
    if (!(options.everyMs > 0)) {
      throw new RangeError(`'refreshMs' must be a positive number of ms, got ${options.everyMs}`);
    }
    this.#clock = clock;
    this.#o = options;
    this.#later();
  }

  /**
   * Asks now (calls at the same time share one question).
   *
   * @returns The end the clock has after it, in ms since the epoch.
   */
  refresh(): Promise<number> {
    return this.#reading ??= this.#read().finally(() => {
      this.#reading = undefined;
      this.#later();
    });
  }

  /** Stops asking. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  async #read(): Promise<number> {
    let end: number | undefined;
    try {
      end = await this.#o.read();
    } catch (error) {
      this.#o.onProblem?.(`cannot learn the allocation's end: ${(error as Error).message}`);
      return this.#clock.endsAt;
    }
    if (this.#closed) return this.#clock.endsAt;
    if (end === undefined) {
      // Nothing to drain or cut for: keeping the last end errs on the side of the job's end.
      this.#o.onProblem?.("Slurm gives the job no time limit now; the agent keeps its last end");
      return this.#clock.endsAt;
    }
    const before = this.#clock.endsAt;
    if (this.#clock.setEnd(end)) this.#o.onChange?.(end, before);
    return end;
  }

  #later(): void {
    clearTimeout(this.#timer);
    if (this.#closed) return;
    this.#timer = setTimeout(() => void this.refresh(), this.#o.everyMs);
  }
}
