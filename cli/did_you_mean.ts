/**
 * "Did you mean …?" for a misspelt option, command, backend or YAML key.
 *
 * @module
 */

/**
 * The candidate closest to `word`, when it is close enough to be a typo: at
 * most one edit for a short word, two from five letters, a third of the word
 * beyond (an edit inserts, deletes or replaces a letter, or swaps two).
 *
 * @param word What was typed.
 * @param candidates What it could have meant.
 * @returns The closest candidate, or `undefined` when none is close.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { closest } from "./did_you_mean.ts";
 * assert.equal(closest("retires", ["retries", "timeout"]), "retries");
 * assert.equal(closest("banana", ["retries", "timeout"]), undefined);
 * ```
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const limit = word.length < 5 ? 1 : Math.max(2, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    const d = distance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

/**
 * `" (did you mean 'x'?)"`, or nothing when no candidate is close.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { didYouMean } from "./did_you_mean.ts";
 * assert.equal(didYouMean("--jsn", ["--json", "--trace"]), " (did you mean '--json'?)");
 * ```
 */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const match = closest(word, candidates);
  return match === undefined ? "" : ` (did you mean '${match}'?)`;
}

/** Optimal string alignment distance: Levenshtein plus swaps of neighbours. */
function distance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length)]);
  for (let j = 0; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      }
      rows[i]![j] = d;
    }
  }
  return rows[a.length]![b.length]!;
}
