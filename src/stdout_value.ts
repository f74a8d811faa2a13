/**
 * The one rule for what a command's stdout becomes as its task's value: the text without its
 * final line break (one `\n`, or one `\r\n`), on every backend. Only one: the blank lines a
 * command prints on purpose stay. The bytes as printed stay available: `result: "output"` gives
 * stdout and stderr unchanged, `captureOutput` the file, and a recorded run keeps every
 * command's stdout in its run directory (`ExecutionRecord.stdoutPath`).
 *
 * @module
 */

/**
 * `stdout` without its final line break.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stdoutValue } from "./stdout_value.ts";
 * assert.equal(stdoutValue("42\n"), "42");
 * assert.equal(stdoutValue("a\n\n"), "a\n");
 * assert.equal(stdoutValue("dos\r\n"), "dos");
 * assert.equal(stdoutValue("no newline"), "no newline");
 * ```
 */
export function stdoutValue(stdout: string): string {
  if (!stdout.endsWith("\n")) return stdout;
  return stdout.slice(0, stdout.endsWith("\r\n") ? -2 : -1);
}
