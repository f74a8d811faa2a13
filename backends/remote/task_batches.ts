/**
 * How the remote client cuts its outbox into requests: at most `maxBatch` tasks and about
 * `maxBatchBytes` of JSON each, every task serialized once (a retried request sends the same
 * text). Without a bound on bytes, 100 tasks of 1 MB made one 100 MB request, which the agent
 * refuses whole (413, over its 64 MiB body limit): every one of them failed.
 *
 * @module
 */
import type { WireTask } from "../../protocol/v1.ts";

/** A task and its JSON text. */
export interface SerializedTask {
  /** The task's id. */
  readonly id: string;
  /** `JSON.stringify` of the task. */
  readonly json: string;
}

/**
 * Takes the next batch off the front of `outbox` (which it shortens): its first task whatever
 * its size, then more while they fit in `maxCount` tasks and `maxBytes` (counted in UTF-16 code
 * units of the JSON, which is at most as many bytes for ASCII and at most 3 bytes each otherwise).
 *
 * @param outbox Tasks waiting to be sent, in order.
 * @param maxCount The most tasks in one batch.
 * @param maxBytes The most JSON in one batch, in UTF-16 code units.
 * @returns The batch, serialized.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { takeBatch } from "./task_batches.ts";
 * const task = (id: string) => ({ id, kind: "executable" as const, command: "x".repeat(100) });
 * const outbox = [task("a"), task("b"), task("c")];
 * assert.deepEqual(takeBatch(outbox, 10, 300).map((t) => t.id), ["a", "b"]);
 * assert.deepEqual(outbox.map((t) => t.id), ["c"]);
 * ```
 */
export function takeBatch(
  outbox: WireTask[],
  maxCount: number,
  maxBytes: number,
): SerializedTask[] {
  const batch: SerializedTask[] = [];
  let bytes = 0;
  let taken = 0;
  while (taken < outbox.length && batch.length < maxCount) {
    const task = outbox[taken]!;
    const json = JSON.stringify(task);
    if (batch.length > 0 && bytes + json.length > maxBytes) break;
    batch.push({ id: task.id, json });
    bytes += json.length + 1;
    taken++;
  }
  outbox.splice(0, taken);
  return batch;
}

/**
 * The body of a submission: `{"tasks":[…]}` from tasks serialized already.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { batchBody } from "./task_batches.ts";
 * assert.deepEqual(JSON.parse(batchBody([{ id: "a", json: '{"id":"a"}' }])), { tasks: [{ id: "a" }] });
 * ```
 */
export function batchBody(tasks: readonly SerializedTask[]): string {
  return `{"tasks":[${tasks.map((t) => t.json).join(",")}]}`;
}
