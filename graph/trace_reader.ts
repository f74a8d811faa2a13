import { parseJsonLine, preview, TORN } from "../jsonl/json_line.ts";
import { TASK_EVENT_TYPES, type TaskEvent } from "../src/events.ts";

const TYPES: ReadonlySet<string> = new Set(TASK_EVENT_TYPES);

/**
 * Parses a JSONL trace: one {@linkcode TaskEvent} per line, blank lines
 * ignored. A final line that does not parse is dropped, because a trace of a
 * run that was killed mid-write ends that way; a bad line anywhere else means
 * the file is damaged, and throws (the rule of every JSONL file here:
 * `parseJsonLine`, which the agent's journal follows too).
 *
 * @param text The file's content.
 * @returns The events, in file order.
 * @throws {SyntaxError} Naming the line number, for a malformed line that is not the last one,
 *   or a line that is JSON but not an event.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readTrace } from "./mod.ts";
 * const line = JSON.stringify({ type: "created", time: 1, uid: "task.000001", name: "a", kind: "function", workflowId: "main" });
 * const events = readTrace(`${line}\n{"type":"runn`);
 * assert.equal(events.length, 1);
 * ```
 */
export function readTrace(text: string): TaskEvent[] {
  if (typeof text !== "string") {
    throw new TypeError(`readTrace: expected the trace's text as a string, got ${typeof text}`);
  }
  const lines = text.split("\n");
  let last = lines.length - 1;
  while (last >= 0 && lines[last]!.trim() === "") last--;
  const events: TaskEvent[] = [];
  for (let i = 0; i <= last; i++) {
    const line = lines[i]!.trim();
    if (line === "") continue;
    const value = parseJsonLine(line, i + 1, i === last, "trace");
    if (value === TORN) break;
    const problem = eventProblem(value);
    if (problem) throw new SyntaxError(`trace line ${i + 1} is not a task event: ${problem}`);
    events.push(value as TaskEvent);
  }
  return events;
}

/** What makes a parsed value unusable as an event, or `undefined`. */
function eventProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return `expected an object, got ${preview(JSON.stringify(value))}`;
  }
  const e = value as Record<string, unknown>;
  if (typeof e.type !== "string" || !TYPES.has(e.type)) {
    return `'type' must be one of ${[...TYPES].join(", ")}, got ${JSON.stringify(e.type)}`;
  }
  if (typeof e.uid !== "string" || e.uid === "") {
    return `'uid' must be a non-empty string, got ${JSON.stringify(e.uid)}`;
  }
  if (typeof e.time !== "number" || !Number.isFinite(e.time)) {
    return `'time' must be a number, got ${JSON.stringify(e.time)}`;
  }
  if (
    e.deps !== undefined && !(Array.isArray(e.deps) && e.deps.every((d) => typeof d === "string"))
  ) {
    return `'deps' must be an array of uids, got ${preview(JSON.stringify(e.deps))}`;
  }
  return undefined;
}
