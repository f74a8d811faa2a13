/**
 * `asyncflow run --json` keeps standard output for the summary alone: while
 * the workflow runs, what its code prints in this process — `console.log`,
 * `console.info`, `console.debug`, `process.stdout.write`, and on Node what
 * the pool's workers print, which reaches the parent through its
 * `process.stdout` — goes to standard error instead, so `… --json | jq`
 * reads one JSON object. (Commands' output is captured, never printed.)
 *
 * @module
 */
import process from "node:process";

/**
 * Sends this process's standard output to standard error until the returned
 * function is called.
 *
 * @returns Undoes the redirection.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stdoutToStderr } from "./stdout_to_stderr.ts";
 * const restore = stdoutToStderr();
 * const log = console.log;
 * restore();
 * assert.notEqual(console.log, log);
 * ```
 */
export function stdoutToStderr(): () => void {
  const stdout = process.stdout as unknown as { write: unknown };
  const saved = {
    write: stdout.write,
    log: console.log,
    info: console.info,
    debug: console.debug,
  };
  stdout.write = process.stderr.write.bind(process.stderr);
  console.log = console.info = console.debug = console.error;
  return () => {
    stdout.write = saved.write;
    console.log = saved.log;
    console.info = saved.info;
    console.debug = saved.debug;
  };
}
