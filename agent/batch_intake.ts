/**
 * A batch of tasks as the agent takes it in: each task is checked on its own (its shape, a
 * duplicate id, what the function runner says of it, whether it can be journaled), numbered, and
 * turned into its journal line. Nothing is recorded here: the core journals the lines in one
 * whole write and only then records and runs the accepted tasks, so a batch is all or nothing.
 *
 * @module
 */
import type { SubmitResult, WireFunctionTask, WireTask } from "../protocol/v1.ts";
import { firstIssue, wireTask } from "./schemas.ts";

/** What a batch gives: an answer per task, the journal lines, and the tasks to record. */
export interface BatchIntake {
  results: SubmitResult[];
  lines: string[];
  accepted: { task: WireTask; n: number }[];
}

/**
 * Checks a batch of a session. O(n).
 *
 * @param sid The session's id, for the journal lines.
 * @param tasks The request's tasks, as sent.
 * @param known Whether the session already has a task of this id (a duplicate is not run again).
 * @param problem Why a function task cannot run here, or `undefined`.
 * @param next The next task number (called once per accepted task).
 * @returns The answers, the journal lines and the accepted tasks with their numbers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { takeBatch } from "./batch_intake.ts";
 * let n = 1;
 * const task = { id: "t1", kind: "executable", command: ["true"] };
 * const batch = takeBatch("s1", [task, task, { id: 3 }], () => false, () => undefined, () => n++);
 * assert.deepEqual(batch.results.map((r) => r.status), ["accepted", "duplicate", "rejected"]);
 * assert.equal(batch.lines.length, 1);
 * ```
 */
export function takeBatch(
  sid: string,
  tasks: readonly unknown[],
  known: (id: string) => boolean,
  problem: (task: WireFunctionTask) => string | undefined,
  next: () => number,
): BatchIntake {
  const results: SubmitResult[] = new Array(tasks.length);
  const accepted: { task: WireTask; n: number }[] = [];
  const lines: string[] = [];
  const ids = new Set<string>();
  for (let i = 0; i < tasks.length; i++) {
    const raw = tasks[i];
    const parsed = wireTask.safeParse(raw);
    const id = typeof (raw as { id?: unknown })?.id === "string"
      ? (raw as { id: string }).id
      : `#${i}`;
    if (!parsed.success) {
      results[i] = { id, status: "rejected", error: `task ${i}: ${firstIssue(parsed.error)}` };
      continue;
    }
    const task = parsed.data as WireTask;
    if (known(task.id) || ids.has(task.id)) {
      results[i] = { id, status: "duplicate" };
      continue;
    }
    const why = task.kind === "function" ? problem(task) : undefined;
    if (why) {
      results[i] = { id, status: "rejected", error: `task '${id}': ${why}` };
      continue;
    }
    let json: string;
    try {
      json = JSON.stringify(task);
    } catch (error) {
      // A value nested too deeply for this runtime's JSON: this task only.
      const why = `task '${id}' cannot be journaled: ${(error as Error).message}`;
      results[i] = { id, status: "rejected", error: why };
      continue;
    }
    const n = next();
    ids.add(task.id);
    lines.push(`{"t":"task","sid":"${sid}","n":${n},"task":${json}}`);
    accepted.push({ task, n });
    results[i] = { id, status: "accepted" };
  }
  return { results, lines, accepted };
}
