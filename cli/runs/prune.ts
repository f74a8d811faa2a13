/**
 * The retention rule of run directories: when a run starts, the newest `keep` runs stay (the new
 * one among them) and older ones are removed — except a run still going on (marked `running` by a
 * process that is alive). Only directories named like runs and holding a `run.json` are touched.
 * "Newest" is by the start time in `run.json`.
 *
 * @module
 */
import { rmSync } from "node:fs";
import { listRuns, stillRunning } from "./find_run.ts";

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
  const older = listRuns(root).filter((r) => r.info.id !== current).slice(Math.max(0, keep - 1));
  const removed: string[] = [];
  for (const { info, dir } of older) {
    if (stillRunning(info)) continue;
    rmSync(dir, { recursive: true, force: true });
    removed.push(info.id);
  }
  return removed;
}
