/**
 * The version `asyncflow --version` prints. It is a constant, not read from
 * `deno.json` at run time, because the command also runs from the npm
 * package and from a standalone binary, where that file is not beside the
 * code; `tests/cli/version_test.ts` keeps it equal to `deno.json`'s version.
 *
 * @module
 */

/**
 * The package's version.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { VERSION } from "@asyncflow/asyncflow/cli";
 * assert.match(VERSION, /^\d+\.\d+\.\d+/);
 * ```
 */
export const VERSION = "0.1.0";
