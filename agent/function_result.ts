/**
 * How a function task's result travels: inline when small, by reference to a file of the
 * agent's (fetched by offset) when large.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { writeFileSync } from "node:fs";
import type { WireError } from "../protocol/v1.ts";
import { INLINE_BYTES, LISTED_BYTES } from "./exec_runner.ts";
import type { EventDetail } from "./session.ts";

/**
 * The `done` event's detail for a function's result `value`, and what the task's listing keeps
 * instead (a medium result: inline on the stream, by reference in the listing); or the error
 * that fails the task (a result that is not JSON, or a large one that cannot be written).
 *
 * @param id The task's id, for messages.
 * @param value The function's result.
 * @param path Where a result too large for events is written.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { functionResult } from "./function_result.ts";
 * assert.deepEqual(functionResult("t", 42, "/nowhere"), { detail: { value: 42 } });
 * assert.match((functionResult("t", 1n, "/nowhere") as { error: Error }).error.message, /not JSON/);
 * ```
 */
export function functionResult(
  id: string,
  value: unknown,
  path: string,
): { detail: EventDetail; listed?: EventDetail } | { error: WireError } {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    const message = `the result of '${id}' is not JSON: ${(error as Error).message}`;
    return { error: { name: "TypeError", message } };
  }
  if (json === undefined || json.length <= LISTED_BYTES) return { detail: { value } };
  try {
    writeFileSync(path, json);
  } catch (error) {
    if (json.length <= INLINE_BYTES) return { detail: { value } }; // inline only, then
    const why = (error as Error).message;
    return {
      error: { name: "Error", message: `the agent cannot write the result of '${id}': ${why}` },
    };
  }
  const ref = { resultBytes: Buffer.byteLength(json) };
  // Large: by reference on the stream too. Medium: inline there, by reference here.
  return json.length > INLINE_BYTES ? { detail: ref } : { detail: { value }, listed: ref };
}
