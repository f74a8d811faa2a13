/**
 * Reads a trace for `--resume`: the results of the tasks that completed, by
 * memo key (the `memoKey` and `result` of `done` events, written when the
 * engine records results).
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import { UsageError } from "../usage.ts";

/**
 * The memo key → result map of a trace file.
 *
 * @param path The trace (JSONL).
 * @returns The results to resume from (possibly empty).
 * @throws {UsageError} When the file cannot be read or a line is not JSON (naming the line).
 *
 * @example
 * ```ts ignore
 * import { readResumeMap } from "./resume.ts";
 * const resume = await readResumeMap("run.jsonl");
 * await using flow = await WorkflowEngine.create({ resume, recordResults: true });
 * ```
 */
export async function readResumeMap(path: string): Promise<Map<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new UsageError(
      "run",
      `cannot read the trace to resume from '${path}': ${code ?? String(error)}`,
    );
  }
  return resumeMapOf(text, path);
}

/**
 * The memo key → result map of trace text.
 *
 * @param text JSONL events.
 * @param path The file name, for messages.
 * @returns The results to resume from.
 * @throws {UsageError} On a line that is not a JSON object, except a cut-off last line.
 *
 * @example
 * ```ts
 * import { resumeMapOf } from "./resume.ts";
 * const line = JSON.stringify({ type: "done", memoKey: "k1", result: 42 });
 * console.assert(resumeMapOf(line + "\n", "t.jsonl").get("k1") === 42);
 * ```
 */
export function resumeMapOf(text: string, path: string): Map<string, unknown> {
  const results = new Map<string, unknown>();
  const lines = text.split("\n");
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    let event: { type?: unknown; memoKey?: unknown; result?: unknown };
    try {
      event = JSON.parse(line);
    } catch {
      // A run killed hard may leave half a line at the end: the rest is still good.
      if (i === lines.length - 1) return;
      throw new UsageError(
        "run",
        `${path}:${i + 1}: not a JSON event; is this an asyncflow trace?`,
      );
    }
    // A missing `result` is `undefined`: JSON drops undefined values; the trace writer drops the
    // memo key with any result it cannot write, so a key without a result means exactly that.
    if (event?.type === "done" && typeof event.memoKey === "string") {
      results.set(event.memoKey, event.result);
    }
  });
  return results;
}
