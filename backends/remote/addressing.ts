/** Where a function lives on the agent: a module name it was started with, and an export. */
export interface FunctionAddress {
  module: string;
  export: string;
}

/**
 * Imports the task modules and indexes their exported functions by identity,
 * so that a `TaskSpec.fn` can be named on the wire.
 *
 * @param modules Module name (as given to `asyncflow agent --module NAME=PATH`) → URL or path.
 * @returns Each exported function's address.
 * @throws {Error} When a module cannot be imported.
 *
 * @example
 * ```ts
 * import { indexModules } from "./addressing.ts";
 * const index = await indexModules({});
 * console.assert(index.size === 0);
 * ```
 */
export async function indexModules(
  modules: Record<string, string | URL>,
): Promise<Map<unknown, FunctionAddress>> {
  const index = new Map<unknown, FunctionAddress>();
  for (const [name, where] of Object.entries(modules)) {
    let ns: Record<string, unknown>;
    try {
      ns = await import(String(where));
    } catch (error) {
      throw new Error(
        `RemoteBackend: cannot import task module '${name}' from ${where}: ${
          (error as Error).message
        }`,
        {
          cause: error,
        },
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

/**
 * Says why a value cannot travel as JSON without changing (`undefined`,
 * `NaN`, a `Date`, a class instance, a cycle…), or `undefined` when it can.
 *
 * @param value The value to check.
 * @param path How to name it in the message.
 *
 * @example
 * ```ts
 * import { jsonProblem } from "./addressing.ts";
 * console.assert(jsonProblem({ a: [1, "x", null] }, "args") === undefined);
 * console.assert(jsonProblem({ a: NaN }, "args") === "args.a is NaN");
 * ```
 */
export function jsonProblem(
  value: unknown,
  path: string,
  seen: Set<object> = new Set(),
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
      const proto = Object.getPrototypeOf(value);
      const isArray = Array.isArray(value);
      if (!isArray && proto !== Object.prototype && proto !== null) {
        return `${path} is a ${value.constructor?.name ?? "class instance"}, not a plain object`;
      }
      seen.add(value);
      if (isArray) {
        for (let i = 0; i < value.length; i++) {
          const p = jsonProblem(value[i], `${path}[${i}]`, seen);
          if (p) return p;
        }
      } else {
        for (const [k, v] of Object.entries(value)) {
          const p = jsonProblem(v, `${path}.${k}`, seen);
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
