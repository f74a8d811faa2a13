/**
 * A rejection nobody handles must not end the agent: it serves every session, and one task's
 * stray promise (a task module's bug, a callback the agent forgot to guard) would take all of
 * them down. Deno, Bun and Node end the process on such a rejection unless a handler is installed;
 * this module installs one that logs and counts instead (the count is in `/v1/metrics`).
 *
 * @module
 */
import process from "node:process";

let count = 0;
let installed = false;

/**
 * Makes rejections nobody handles non-fatal for this process: each is logged to stderr, with its
 * stack, and counted. Installed once (later calls do nothing). Meant for the agent's own process
 * (`asyncflow agent`); a program that embeds the agent decides for itself.
 *
 * @param log Where a rejection is reported. Default `console.error`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { guardRejections, unhandledRejections } from "./rejections.ts";
 * guardRejections();
 * assert.equal(typeof unhandledRejections(), "number");
 * ```
 */
export function guardRejections(log: (message: string) => void = console.error): void {
  if (installed) return;
  installed = true;
  process.on("unhandledRejection", (reason: unknown) => {
    count++;
    const what = reason instanceof Error ? (reason.stack ?? reason.message) : String(reason);
    log(`asyncflow agent: a rejection nobody handled (the agent goes on): ${what}`);
  });
}

/**
 * How many rejections nobody handled were caught by {@linkcode guardRejections} so far.
 *
 * @returns The count (0 when the guard is not installed).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { unhandledRejections } from "./rejections.ts";
 * assert.ok(unhandledRejections() >= 0);
 * ```
 */
export function unhandledRejections(): number {
  return count;
}
