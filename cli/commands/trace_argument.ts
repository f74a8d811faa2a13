/**
 * The one run or trace file a command such as `report` or `dashboard` takes, read and parsed.
 *
 * @module
 */
import type { TaskEvent } from "../../mod.ts";
import { type FoundRun, traceOf } from "../runs/find_run.ts";
import { runsDir } from "../runs/runs_dir_option.ts";
import { UsageError } from "../usage.ts";
import { readText } from "./graph.ts";

/**
 * The trace of the `[run | trace.jsonl]` positional of `command`: a trace file, a run directory,
 * or a recorded run by id, id prefix or `last` — the last run when there is no positional.
 *
 * @param command The command's name, for messages.
 * @param positionals The command's positional arguments.
 * @param root Where the runs are. Default: `$ASYNCFLOW_RUNS_DIR`, else `.asyncflow/runs`.
 * @returns The trace's path, its events, and the run when it is one.
 * @throws {UsageError} When there is more than one positional, no such run, or the file cannot
 *   be read or is not a trace (naming the line).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readTraceArgument } from "./trace_argument.ts";
 * await assert.rejects(readTraceArgument("report", ["a", "b"]), /expected one run or trace file/);
 * await assert.rejects(readTraceArgument("report", [], ".out/none"), /no runs in/);
 * ```
 */
export async function readTraceArgument(
  command: string,
  positionals: string[],
  root: string = runsDir(undefined),
): Promise<{ trace: string; events: TaskEvent[]; run?: FoundRun }> {
  if (positionals.length > 1) {
    throw new UsageError(command, `expected one run or trace file, got ${positionals.length}`);
  }
  const { trace, run } = traceOf(command, root, positionals[0]);
  const text = await readText(command, trace);
  const { readTrace } = await import("../../graph/mod.ts");
  try {
    return { trace, events: readTrace(text), ...(run ? { run } : {}) };
  } catch (error) {
    throw new UsageError(command, `${trace}: ${error instanceof Error ? error.message : error}`);
  }
}
