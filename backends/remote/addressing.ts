/** Where a function lives on the agent: a module name it was started with, and an export. */
export interface FunctionAddress {
  module: string;
  export: string;
}

/**
 * A task module: its URL or path (imported here), or the module itself — an
 * imported namespace (`import * as tasks from "./tasks.ts"`), which needs no
 * URL, so it works in bundles, browsers and workerd.
 */
export type TaskModule = string | URL | Readonly<Record<string, unknown>>;

/**
 * Imports the task modules (those given by URL) and indexes their exported
 * functions by identity, so that a `TaskSpec.fn` can be named on the wire.
 *
 * @param modules Module name (as given to `asyncflow agent --module NAME=PATH`) → URL, path or namespace.
 * @returns Each exported function's address.
 * @throws {Error} When a module cannot be imported.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { indexModules } from "./addressing.ts";
 * const square = (n: number) => n * n;
 * const index = await indexModules({ tasks: { square } });
 * assert.deepEqual(index.get(square), { module: "tasks", export: "square" });
 * ```
 */
export async function indexModules(
  modules: Record<string, TaskModule>,
): Promise<Map<unknown, FunctionAddress>> {
  const index = new Map<unknown, FunctionAddress>();
  for (const [name, where] of Object.entries(modules)) {
    const ns = typeof where === "string" || where instanceof URL
      ? await importModule(name, where)
      : where;
    if (ns === null || typeof ns !== "object") {
      throw new TypeError(
        `RemoteBackend: task module '${name}' must be a URL, a path or an imported module ` +
          `namespace, got ${ns === null ? "null" : typeof ns}`,
      );
    }
    for (const [key, value] of Object.entries(ns)) {
      if (typeof value === "function" && !index.has(value)) {
        index.set(value, { module: name, export: key });
      }
    }
  }
  return index;
}

async function importModule(name: string, where: string | URL): Promise<Record<string, unknown>> {
  try {
    return await import(String(where));
  } catch (error) {
    throw new Error(
      `RemoteBackend: cannot import task module '${name}' from ${where}: ${
        (error as Error).message
      }`,
      { cause: error },
    );
  }
}

/** How deeply arguments may nest: far beyond real data, well within every runtime's stack. */
const MAX_DEPTH = 512;

/**
 * Says why a value cannot travel as JSON without changing (`undefined`,
 * `NaN`, a `Date`, a class instance, a cycle…), or `undefined` when it can.
 *
 * @param value The value to check.
 * @param path How to name it in the message.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { jsonProblem } from "./addressing.ts";
 * assert.equal(jsonProblem({ a: [1, "x", null] }, "args"), undefined);
 * assert.equal(jsonProblem({ a: NaN }, "args"), "args.a is NaN");
 * let deep: unknown[] = [];
 * for (let i = 0; i < 2000; i++) deep = [deep];
 * assert.match(jsonProblem(deep, "args") ?? "", /nested more than 512 levels deep/);
 * ```
 */
export function jsonProblem(
  value: unknown,
  path: string,
  seen: Set<object> = new Set(),
  depth = 0,
): string | undefined {
  switch (typeof value) {
    case "string":
    case "boolean":
      return undefined;
    case "number":
      return Number.isFinite(value) ? undefined : `${path} is ${value}`;
    case "object": {
      if (value === null) return undefined;
      if (seen.has(value)) return `${path} is a cycle`;
      if (depth >= MAX_DEPTH) {
        // Deeper than a runtime's JSON (or this check) can go without running out of stack.
        return `${path.slice(0, 60)}… is nested more than ${MAX_DEPTH} levels deep`;
      }
      const proto = Object.getPrototypeOf(value);
      const isArray = Array.isArray(value);
      if (!isArray && proto !== Object.prototype && proto !== null) {
        return `${path} is a ${value.constructor?.name ?? "class instance"}, not a plain object`;
      }
      seen.add(value);
      if (isArray) {
        for (let i = 0; i < value.length; i++) {
          const p = jsonProblem(value[i], `${path}[${i}]`, seen, depth + 1);
          if (p) return p;
        }
      } else {
        for (const [k, v] of Object.entries(value)) {
          const p = jsonProblem(v, `${path}.${k}`, seen, depth + 1);
          if (p) return p;
        }
      }
      seen.delete(value);
      return undefined;
    }
    default:
      return `${path} is ${typeof value === "undefined" ? "undefined" : `a ${typeof value}`}`;
  }
}
