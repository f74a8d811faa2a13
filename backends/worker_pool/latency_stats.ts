/**
 * Percentiles of recent durations: a ring of the last samples, sorted only
 * when someone asks.
 *
 * @module
 */

/**
 * Percentiles of a duration, in milliseconds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Percentiles } from "@asyncflow/asyncflow/worker_pool";
 * const spread = (p: Percentiles) => p.p99 - p.p50;
 * assert.equal(spread({ samples: 3, p50: 1, p90: 2, p99: 5, max: 5 }), 4);
 * ```
 */
export interface Percentiles {
  /** How many recent samples the figures are taken from. */
  samples: number;
  /** Median. */
  p50: number;
  /** 90th percentile. */
  p90: number;
  /** 99th percentile. */
  p99: number;
  /** The largest sample. */
  max: number;
}

/**
 * Keeps the last `capacity` samples of a duration.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LatencySamples } from "./latency_stats.ts";
 * const s = new LatencySamples(4);
 * for (const ms of [1, 2, 3, 4, 5]) s.add(ms);
 * assert.equal(s.percentiles().samples, 4); // the oldest sample was dropped
 * assert.equal(s.percentiles().max, 5);
 * ```
 */
export class LatencySamples {
  readonly #ring: Float64Array;
  #count = 0;

  /** @param capacity How many recent samples to keep. */
  constructor(capacity = 4096) {
    this.#ring = new Float64Array(capacity);
  }

  /** Records one duration (ms). */
  add(ms: number): void {
    this.#ring[this.#count++ % this.#ring.length] = ms;
  }

  /** The percentiles of the kept samples (zeros when there are none). */
  percentiles(): Percentiles {
    const n = Math.min(this.#count, this.#ring.length);
    const sorted = this.#ring.slice(0, n).sort();
    const at = (q: number) => (n === 0 ? 0 : sorted[Math.min(n - 1, Math.floor(q * n))]!);
    return {
      samples: n,
      p50: at(0.5),
      p90: at(0.9),
      p99: at(0.99),
      max: n === 0 ? 0 : sorted[n - 1]!,
    };
  }
}
