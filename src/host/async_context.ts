/**
 * Async-context storages that need no `node:` module: the standard's
 * `AsyncContext.Variable` where a runtime ships it, and, where there is no
 * async context at all, a storage that holds its value only while a function
 * runs synchronously.
 *
 * @module
 */
import type { ContextStorage } from "./host.ts";

interface AsyncContextVariable<T> {
  run<R>(value: T, fn: () => R): R;
  get(): T | undefined;
}

interface AsyncContextNamespace {
  Variable: new <T>() => AsyncContextVariable<T>;
}

/**
 * A storage on the TC39 `AsyncContext.Variable`, or `undefined` when the
 * runtime does not have it.
 *
 * @returns The storage, or `undefined`.
 */
export function asyncContextStorage<T>(): ContextStorage<T> | undefined {
  const ns = (globalThis as { AsyncContext?: AsyncContextNamespace }).AsyncContext;
  if (typeof ns?.Variable !== "function") return undefined;
  const variable = new ns.Variable<T>();
  return {
    tracksAwaits: true,
    run: (store, fn) => variable.run(store, fn),
    get: () => variable.get(),
  };
}

/**
 * A storage for runtimes without async context: `run` sets the value for
 * the synchronous part of `fn` only. A continuation after an `await` runs from
 * the microtask queue, on an empty stack, so it sees `undefined` — never
 * another run's value.
 *
 * @returns The storage (`tracksAwaits` is `false`).
 */
export function synchronousContextStorage<T>(): ContextStorage<T> {
  let current: T | undefined;
  return {
    tracksAwaits: false,
    run<R>(store: T, fn: () => R): R {
      const before = current;
      current = store;
      try {
        return fn();
      } finally {
        current = before;
      }
    },
    get: () => current,
  };
}
