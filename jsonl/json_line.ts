/**
 * The one rule for a line of a JSONL file that is not JSON, and nothing else: web-standard code
 * only, so that the trace's reader (`graph/`) loads where there is no file system.
 *
 * @module
 */

/**
 * The one rule for a line of a JSONL file that is not JSON. The file's last line is a write cut
 * short (its writer was killed mid-write, so nothing after it was ever acknowledged): it is
 * dropped, and {@linkcode TORN} says so. Any other such line is damage, which throws, and the
 * reader decides what damage costs (a trace refuses the file, the agent's journal skips the line
 * and says so).
 *
 * @param text The line, without its line break.
 * @param number Its number in the file (1 for the first line), for the error.
 * @param last Whether nothing but line breaks follows it in the file.
 * @param what What the file is, for the error (`trace`, `journal`).
 * @returns The parsed value, or {@linkcode TORN}.
 * @throws {SyntaxError} Naming the line, its number and why, for a line that is not the last.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseJsonLine, TORN } from "./json_line.ts";
 * assert.deepEqual(parseJsonLine('{"a":1}', 1, false, "trace"), { a: 1 });
 * assert.equal(parseJsonLine('{"a":', 2, true, "trace"), TORN);
 * assert.throws(() => parseJsonLine('{"a":', 2, false, "trace"), /trace line 2 is not valid JSON/);
 * ```
 */
export function parseJsonLine(text: string, number: number, last: boolean, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    if (last) return TORN;
    const why = error instanceof Error ? error.message : String(error);
    throw new SyntaxError(`${what} line ${number} is not valid JSON (${why}): ${preview(text)}`);
  }
}

/** What {@linkcode parseJsonLine} returns for a torn last line. */
export const TORN: unique symbol = Symbol("a torn last line");

/**
 * A line shortened for a message: its first 77 characters and `...`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { preview } from "./json_line.ts";
 * assert.equal(preview("x".repeat(100)).length, 80);
 * ```
 */
export function preview(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
