/**
 * An error as it travels to the client: what the agent and the node executors report of a
 * task's failure.
 *
 * @module
 */
import type { WireError } from "../protocol/v1.ts";

/**
 * An error as it travels: name, message and stack.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { errorToWire } from "./wire_error.ts";
 * const wire = errorToWire(new RangeError("too far"));
 * assert.deepEqual([wire.name, wire.message], ["RangeError", "too far"]);
 * assert.match(wire.stack ?? "", /too far/);
 * assert.deepEqual(errorToWire("plain"), { name: "Error", message: "plain" });
 * ```
 */
export function errorToWire(error: unknown): WireError {
  if (error instanceof Error) {
    return {
      name: error.name,
      message: error.message,
      ...(error.stack ? { stack: error.stack } : {}),
    };
  }
  return { name: "Error", message: String(error) };
}
