/**
 * `for_each` lists and `repeat` counts given as a parameter
 * (`for_each: ${{ params.seeds }}`, `product: { seed: ${{ params.seeds }} }`,
 * `repeat: ${{ params.n }}`), so that `--param seeds=[1,2,3]` sizes a sweep:
 * each is replaced by the parameter's value when the task is called, and a
 * value of the wrong kind is refused with the task, the parameter and the value.
 *
 * @module
 */
import type { ForEach, NamedLists } from "./for_each.ts";
import type { TaskDef, WorkflowDef } from "./schema.ts";

const PARAM = /^\$\{\{\s*params\.([A-Za-z_][\w-]*)\s*\}\}$/;

/**
 * The parameter's name when `value` is exactly `${{ params.<name> }}`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { paramName } from "./iteration_params.ts";
 * assert.equal(paramName("${{ params.seeds }}"), "seeds");
 * assert.equal(paramName([1, 2]), undefined);
 * ```
 */
export function paramName(value: unknown): string | undefined {
  return typeof value === "string" ? PARAM.exec(value)?.[1] : undefined;
}

/** The parameters a task's `for_each` and `repeat` name, with where each sits in the task. */
export function iterationParams(task: TaskDef): { name: string; path: (string | number)[] }[] {
  const found: { name: string; path: (string | number)[] }[] = [];
  const add = (value: unknown, path: (string | number)[]) => {
    const name = paramName(value);
    if (name !== undefined) found.push({ name, path });
  };
  add(task.repeat, ["repeat"]);
  const f = task.for_each;
  if (typeof f === "string") add(f, ["for_each"]);
  else if (f !== undefined && !Array.isArray(f)) {
    for (const form of ["zip", "product"] as const) {
      for (const [list, value] of Object.entries(f[form] ?? {})) {
        add(value, ["for_each", form, list]);
      }
    }
  }
  return found;
}

/**
 * A task's `for_each` with its parameters filled in, ready to expand.
 *
 * @param task The task.
 * @param params The values of its scope's parameters.
 * @returns The `for_each`, every list known; `undefined` when the task has none.
 * @throws {TypeError} When a parameter's value is not a non-empty list, or zipped lists differ
 *   in length.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { knownForEach } from "./iteration_params.ts";
 * const task = { command: "true", for_each: { zip: { s: "${{ params.seeds }}", n: [1, 2] } } };
 * assert.deepEqual(knownForEach(task, { seeds: [7, 8] }), { zip: { s: [7, 8], n: [1, 2] } });
 * assert.throws(() => knownForEach(task, { seeds: 3 }), /must be a non-empty list, got 3/);
 * ```
 */
export function knownForEach(task: TaskDef, params: Record<string, unknown>): ForEach | undefined {
  const f = task.for_each;
  if (f === undefined) return undefined;
  if (typeof f === "string") return list(f, params, "for_each");
  if (Array.isArray(f)) return f;
  const form = f.zip === undefined ? "product" : "zip";
  const lists: NamedLists = {};
  for (const [name, value] of Object.entries(f[form] ?? {})) {
    lists[name] = typeof value === "string"
      ? list(value, params, `for_each.${form}.${name}`)
      : value;
  }
  if (form === "zip") {
    const problem = zipLengthProblem(lists);
    if (problem !== undefined) {
      throw new TypeError(`for_each.zip.${problem.list}: ${problem.message}`);
    }
  }
  return { [form]: lists };
}

/**
 * A task's `repeat` count with its parameter filled in.
 *
 * @throws {TypeError} When the parameter's value is not a positive integer.
 */
export function knownRepeat(task: TaskDef, params: Record<string, unknown>): number | undefined {
  const r = task.repeat;
  if (typeof r !== "string") return r;
  const value = params[paramName(r)!];
  if (typeof value === "number" && Number.isInteger(value) && value >= 1) return value;
  throw new TypeError(`repeat: ${r} must be a whole number of at least 1, got ${shown(value)}`);
}

/**
 * The first zipped list whose length differs from the first list's, with what to say.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { zipLengthProblem } from "./iteration_params.ts";
 * assert.equal(zipLengthProblem({ p: [1, 2], q: [1] })?.list, "q");
 * assert.equal(zipLengthProblem({ p: [1], q: [2] }), undefined);
 * ```
 */
export function zipLengthProblem(
  lists: Readonly<Record<string, readonly unknown[]>>,
): { list: string; message: string } | undefined {
  const lengths = Object.entries(lists).map(([name, l]) => [name, l.length] as const);
  const [first, length] = lengths[0] ?? ["", 0];
  const other = lengths.slice(1).find(([, n]) => n !== length);
  if (other === undefined) return undefined;
  return {
    list: other[0],
    message: `zipped lists must be as long as each other: '${first}' has ${length} ` +
      `item(s), '${other[0]}' has ${other[1]} (use 'product' for every combination)`,
  };
}

/**
 * Checks the values of the workflow's parameters against the top-level tasks that iterate over
 * them, before anything runs (inside a block template, a wrong value fails that instance).
 *
 * @returns One `tasks.<id>.<field>: …` line per problem.
 */
export function topLevelIterationProblems(
  def: WorkflowDef,
  params: Record<string, unknown>,
): string[] {
  const problems: string[] = [];
  for (const [id, task] of Object.entries(def.tasks)) {
    try {
      knownForEach(task, params);
      knownRepeat(task, params);
    } catch (error) {
      problems.push(`tasks.${id}.${(error as Error).message}`);
    }
  }
  return problems;
}

function list(text: string, params: Record<string, unknown>, field: string): unknown[] {
  const value = params[paramName(text)!];
  if (Array.isArray(value) && value.length > 0) return value;
  throw new TypeError(`${field}: ${text} must be a non-empty list, got ${shown(value)}`);
}

function shown(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}
