/**
 * The one trace file a command such as `report` or `dashboard` takes, read and parsed.
 *
 * @module
 */
import type { TaskEvent } from "../../mod.ts";
import { UsageError } from "../usage.ts";
import { readText } from "./graph.ts";

/**
 * The path and events of the single `<trace.jsonl>` positional of `command`.
 *
 * @param command The command's name, for messages.
 * @param positionals The command's positional arguments.
 * @returns The trace's path and its events.
 * @throws {UsageError} When there is not exactly one positional, or the file cannot be read or
 *   is not a trace (naming the line).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readTraceArgument } from "./trace_argument.ts";
 * await assert.rejects(readTraceArgument("report", []), /missing <trace\.jsonl>/);
 * ```
 */
export async function readTraceArgument(
  command: string,
  positionals: string[],
): Promise<{ trace: string; events: TaskEvent[] }> {
  const trace = positionals[0];
  if (positionals.length !== 1 || trace === undefined) {
    throw new UsageError(
      command,
      positionals.length === 0 ? "missing <trace.jsonl>" : "expected one trace file",
    );
  }
  const text = await readText(command, trace);
  const { readTrace } = await import("../../graph/mod.ts");
  try {
    return { trace, events: readTrace(text) };
  } catch (error) {
    throw new UsageError(command, `${trace}: ${error instanceof Error ? error.message : error}`);
  }
}
