/**
 * Deprecation notices: a spelling that still works for this release says, once
 * per process, what to write instead (on stderr, through `console.warn`).
 *
 * @module
 */

const said = new Set<string>();

/**
 * Warns once about an old spelling.
 *
 * @param message What is deprecated and what to write instead.
 * @returns `true` the first time this message is given, `false` after.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { deprecated } from "./deprecated.ts";
 * const warn = console.warn;
 * const seen: unknown[] = [];
 * console.warn = (...args: unknown[]) => seen.push(args.join(" "));
 * try {
 *   deprecated("example: 'old' is deprecated: write 'new'");
 *   deprecated("example: 'old' is deprecated: write 'new'");
 * } finally {
 *   console.warn = warn;
 * }
 * assert.deepEqual(seen, ["asyncflow: example: 'old' is deprecated: write 'new'"]);
 * ```
 */
export function deprecated(message: string): boolean {
  if (said.has(message)) return false;
  said.add(message);
  console.warn(`asyncflow: ${message}`);
  return true;
}
