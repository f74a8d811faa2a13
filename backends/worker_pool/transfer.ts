/**
 * Marks values whose buffers move to the other thread instead of being
 * copied. The marks live in one registry per thread shared through
 * `globalThis`, so task modules and the pool agree whatever path they import
 * this file by.
 *
 * @module
 */

const KEY = Symbol.for("asyncflow.worker_pool.transfer");
const marked: WeakSet<object> =
  ((globalThis as Record<symbol, unknown>)[KEY] ??= new WeakSet()) as WeakSet<
    object
  >;

/** The answer for unmarked values, on the hot path: shared, and frozen so that nobody adds to it. */
const NONE = Object.freeze([]) as unknown as ArrayBuffer[];

/**
 * Marks a value so that the worker pool transfers its `ArrayBuffer`s (the
 * value itself, a typed array's buffer, or those found in a marked array or
 * plain object, one level deep) instead of copying them. After the transfer
 * the sender's buffers are detached (`byteLength` 0).
 *
 * Use it on an argument (`sum(transfer(bytes))`) or on what a task function
 * returns (`return transfer(result)`).
 *
 * @param value An `ArrayBuffer`, a typed array or `DataView`, or an array or object holding them.
 * @returns The same value, marked.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { transfer } from "@asyncflow/asyncflow/worker_pool";
 * const bytes = transfer(new Uint8Array(8));
 * const copy = structuredClone(bytes, { transfer: [bytes.buffer] }); // what the pool does with it
 * assert.equal(bytes.byteLength, 0);
 * assert.equal(copy.byteLength, 8);
 * ```
 */
export function transfer<T extends object>(value: T): T {
  marked.add(value);
  return value;
}

/**
 * The buffers to transfer for a value: empty unless it was marked with
 * {@linkcode transfer}.
 *
 * @param value Anything.
 * @returns The distinct `ArrayBuffer`s to put in a `postMessage` transfer list.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { transfer, transferList } from "./transfer.ts";
 * assert.equal(transferList(new ArrayBuffer(4)).length, 0);
 * const bytes = transfer(new Uint8Array(4));
 * assert.deepEqual(transferList(bytes), [bytes.buffer]);
 * ```
 */
export function transferList(value: unknown): ArrayBuffer[] {
  if (typeof value !== "object" || value === null || !marked.has(value)) return NONE;
  const found = new Set<ArrayBuffer>();
  const add = (v: unknown) => {
    if (v instanceof ArrayBuffer) found.add(v);
    else if (ArrayBuffer.isView(v) && v.buffer instanceof ArrayBuffer) found.add(v.buffer);
  };
  add(value);
  if (Array.isArray(value)) value.forEach(add);
  else if (Object.getPrototypeOf(value) === Object.prototype) Object.values(value).forEach(add);
  return [...found];
}
