/**
 * Tells a thenable (a promise, a `TaskFuture`, any object with a `then`
 * method) from a plain value: what `await` would wait for.
 *
 * @param value Anything.
 * @returns `true` when `value` has a callable `then`.
 */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function";
}
