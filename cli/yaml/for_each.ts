/**
 * The forms of `for_each` and what each expands to: one list
 * (`for_each: [a, b, c]`), several named lists taken side by side
 * (`for_each: { zip: { p: [1, 2], q: [a, b] } }`: `{p: 1, q: a}`, `{p: 2, q: b}`)
 * or in every combination (`for_each: { product: { p: [1, 2], q: [a, b] } }`:
 * `{p: 1, q: a}`, `{p: 1, q: b}`, `{p: 2, q: a}`, `{p: 2, q: b}` — the first
 * list varies slowest, as nested loops written in that order would).
 *
 * @module
 */

/** Named lists, in the order they were written. */
export type NamedLists = Record<string, unknown[]>;

/** A `for_each` whose lists are all known (none is still a `${{ params.<name> }}`). */
export type ForEach = unknown[] | {
  zip?: NamedLists | undefined;
  product?: NamedLists | undefined;
};

/**
 * The items a `for_each` gives, in order: one task per item.
 *
 * @param forEach The `for_each` value.
 * @returns The list itself, or one mapping per zipped position or combination.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { forEachItems } from "./for_each.ts";
 * assert.deepEqual(forEachItems({ zip: { p: [1, 2], q: ["a", "b"] } }), [
 *   { p: 1, q: "a" },
 *   { p: 2, q: "b" },
 * ]);
 * assert.deepEqual(forEachItems({ product: { p: [1, 2], q: ["a", "b"] } }), [
 *   { p: 1, q: "a" },
 *   { p: 1, q: "b" },
 *   { p: 2, q: "a" },
 *   { p: 2, q: "b" },
 * ]);
 * ```
 */
export function forEachItems(forEach: ForEach): unknown[] {
  if (Array.isArray(forEach)) return forEach;
  if (forEach.zip !== undefined) {
    const names = Object.keys(forEach.zip);
    const length = Math.min(...names.map((n) => forEach.zip![n]!.length));
    return Array.from(
      { length },
      (_, i) => Object.fromEntries(names.map((n) => [n, forEach.zip![n]![i]])),
    );
  }
  let items: Record<string, unknown>[] = [{}];
  for (const [name, values] of Object.entries(forEach.product ?? {})) {
    items = items.flatMap((item) => values.map((v) => ({ ...item, [name]: v })));
  }
  return items;
}

/**
 * The keys every item of a zip or a product has; `undefined` for a plain list (whose items
 * are whatever was written, or a parameter's value).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { forEachKeys } from "./for_each.ts";
 * assert.deepEqual(forEachKeys({ product: { p: [1], q: [2] } }), ["p", "q"]);
 * assert.equal(forEachKeys([1, 2]), undefined);
 * ```
 */
export function forEachKeys(
  forEach: unknown[] | string | { zip?: object | undefined; product?: object | undefined },
): string[] | undefined {
  if (Array.isArray(forEach) || typeof forEach === "string") return undefined;
  return Object.keys(forEach.zip ?? forEach.product ?? {});
}

/**
 * What tells one instance of an iterated task apart, for its name (`process[3]`,
 * `process[p=3,q=a]`): a scalar item itself; a mapping of scalars as `key=value` pairs; else the
 * instance's 1-based position.
 *
 * @param item The instance's item.
 * @param index Its 0-based position.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { instanceKey } from "./for_each.ts";
 * assert.equal(instanceKey(3, 0), 3);
 * assert.equal(instanceKey({ p: 3, q: "a" }, 0), "p=3,q=a");
 * assert.equal(instanceKey([1, 2], 4), 5);
 * ```
 */
export function instanceKey(item: unknown, index: number): string | number {
  if (typeof item === "number" && Number.isFinite(item)) return item;
  if (typeof item === "string" || typeof item === "boolean") return String(item);
  if (item !== null && typeof item === "object" && !Array.isArray(item)) {
    const pairs = Object.entries(item);
    if (pairs.length > 0 && pairs.every(([, v]) => isScalar(v))) {
      return pairs.map(([k, v]) => `${k}=${String(v)}`).join(",");
    }
  }
  return index + 1;
}

function isScalar(value: unknown): boolean {
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean";
}
