/**
 * The two figures every bench prints for a set of runs: the median and the spread.
 *
 * @module
 */

/**
 * The median of some runs (the upper one of an even count).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { median } from "./stats.ts";
 * assert.equal(median([3, 1, 2]), 2);
 * assert.equal(median([4, 1, 3, 2]), 3);
 * ```
 */
export function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
}

/**
 * The spread of some runs, `min–max`, each with `digits` decimals.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { spread } from "./stats.ts";
 * assert.equal(spread([2.25, 1, 3]), "1–3");
 * assert.equal(spread([2.25, 1, 3], 2), "1.00–3.00");
 * ```
 */
export function spread(xs: readonly number[], digits = 0): string {
  return `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;
}
