/**
 * Where the commands find runs: `--runs-dir`, else `$ASYNCFLOW_RUNS_DIR`, else `.asyncflow/runs`.
 *
 * @module
 */
import process from "node:process";
import { DEFAULT_RUNS_DIR } from "./run_info.ts";

/**
 * The runs directory the command line names.
 *
 * @param flag The value of `--runs-dir`, if given.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runsDir } from "./runs_dir_option.ts";
 * assert.equal(runsDir("/tmp/runs"), "/tmp/runs");
 * ```
 */
export function runsDir(flag: string | undefined): string {
  return flag ?? (process.env.ASYNCFLOW_RUNS_DIR || DEFAULT_RUNS_DIR);
}
