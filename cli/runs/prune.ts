/**
 * The retention rule of run directories: when a run starts, the newest `keep` runs stay (the new
 * one among them) and older ones are removed — except a run still going on (marked `running` by a
 * process that is alive). Only directories named like runs and holding a `run.json` are touched.
 *
 * @module
 */
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { readRunInfo, stillRunning } from "./find_run.ts";
import { RUN_ID } from "./run_info.ts";

/**
 * Removes the runs of `root` beyond the newest `keep`.
 *
 * @param root The runs directory.
 * @param keep How many to keep, `current` included.
 * @param current The run being started: never removed.
 * @returns The ids removed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pruneRuns } from "./prune.ts";
 * assert.deepEqual(pruneRuns(".out/no-such-runs-dir", 50, "x"), []);
 * ```
 */
export function pruneRuns(root: string, keep: number, current: string): string[] {
  let names: string[];
  try {
    names = readdirSync(root).filter((n) => RUN_ID.test(n) && n !== current);
  } catch {
    return [];
  }
  names.sort().reverse();
  const removed: string[] = [];
  for (const name of names.slice(Math.max(0, keep - 1))) {
    const info = readRunInfo(join(root, name));
    if (info === undefined || stillRunning(info)) continue;
    rmSync(join(root, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
