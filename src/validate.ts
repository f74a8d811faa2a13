/**
 * The checks of values users give: options of tasks, engines and backends,
 * fields of YAML files and command-line flags. Every check throws a
 * `TypeError` of one form — `<where>: '<name>' must be <what>, got <value>` —
 * so a message always names the place, the option, the accepted values and
 * what was given.
 *
 * @module
 */

/**
 * Describes a value for an error message: its type and a short rendering.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describe } from "./validate.ts";
 * assert.equal(describe("5 minutes"), 'the string "5 minutes"');
 * assert.equal(describe(-1), "number -1");
 * ```
 */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === "string") return `the string ${JSON.stringify(value.slice(0, 60))}`;
  if (typeof value === "object") return `an object (${value.constructor?.name ?? "no prototype"})`;
  return `${typeof value} ${String(value)}`;
}

/**
 * What every check throws: a `TypeError` whose message is `<where>: <problem>`, with the parts
 * kept so that a caller with its own frame (the command line's usage errors) can say the problem
 * in it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { InvalidValueError } from "./validate.ts";
 * const e = new InvalidValueError("LocalBackend", "cores", "a positive integer", 0);
 * assert.ok(e instanceof TypeError);
 * assert.equal(e.problem, "'cores' must be a positive integer, got number 0");
 * ```
 */
export class InvalidValueError extends TypeError {
  /** The place: `functionTask(step)`, `LocalBackend`, `asyncflow agent`. */
  readonly where: string;
  /** `'<name>' must be <what>, got <value>`: the message without its place. */
  readonly problem: string;

  /**
   * @param where The place.
   * @param name The option, field or flag: `timeout`, `retries.max`, `--cores`.
   * @param expected What is accepted, to follow "must be": `a positive integer`.
   * @param value What was given.
   */
  constructor(where: string, name: string, expected: string, value: unknown) {
    const problem = `'${name}' must be ${expected}, got ${describe(value)}`;
    super(`${where}: ${problem}`);
    this.name = "TypeError";
    this.where = where;
    this.problem = problem;
  }
}

/**
 * The error every check throws.
 *
 * @param where The place: `functionTask(step)`, `LocalBackend`, `asyncflow agent`.
 * @param name The option, field or flag: `timeout`, `retries.max`, `--cores`.
 * @param expected What is accepted, to follow "must be": `a positive integer`.
 * @param value What was given.
 * @returns The error, to throw.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { invalid } from "./validate.ts";
 * const e = invalid("LocalBackend", "cores", "a positive integer", 0);
 * assert.equal(e.message, "LocalBackend: 'cores' must be a positive integer, got number 0");
 * ```
 */
export function invalid(
  where: string,
  name: string,
  expected: string,
  value: unknown,
): InvalidValueError {
  return new InvalidValueError(where, name, expected, value);
}

/**
 * An integer of at least `min`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { integerAtLeast } from "./validate.ts";
 * assert.equal(integerAtLeast(2, 0, "gpus", "LocalBackend"), 2);
 * assert.throws(() => integerAtLeast(1.5, 0, "gpus", "LocalBackend"), /'gpus' must be an integer >= 0/);
 * ```
 */
export function integerAtLeast(value: unknown, min: number, name: string, where: string): number {
  if (typeof value === "number" && Number.isInteger(value) && value >= min) return value;
  throw invalid(where, name, min === 1 ? "a positive integer" : `an integer >= ${min}`, value);
}

/**
 * An integer of at least 1.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { positiveInteger } from "./validate.ts";
 * assert.throws(() => positiveInteger(0, "processes", "LocalBackend"), /must be a positive integer/);
 * ```
 */
export function positiveInteger(value: unknown, name: string, where: string): number {
  return integerAtLeast(value, 1, name, where);
}

/**
 * A number that is not `NaN` or infinite, optionally of at least `min`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { finiteNumber } from "./validate.ts";
 * assert.equal(finiteNumber(-3, "priority", "functionTask(f)"), -3);
 * assert.throws(() => finiteNumber(0.5, "factor", "retries", 1), /'factor' must be a number >= 1/);
 * ```
 */
export function finiteNumber(value: unknown, name: string, where: string, min?: number): number {
  if (typeof value === "number" && Number.isFinite(value) && (min === undefined || value >= min)) {
    return value;
  }
  throw invalid(where, name, min === undefined ? "a finite number" : `a number >= ${min}`, value);
}

/**
 * One of a list of strings.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { oneOf } from "./validate.ts";
 * assert.equal(oneOf("srun", ["fork", "srun", "mpiexec"], "--launch", "asyncflow agent"), "srun");
 * assert.throws(
 *   () => oneOf("teleport", ["fork", "srun"], "--launch", "asyncflow agent"),
 *   /'--launch' must be one of "fork", "srun", got the string "teleport"/,
 * );
 * ```
 */
export function oneOf<const T extends string>(
  value: unknown,
  choices: readonly T[],
  name: string,
  where: string,
): T {
  if (choices.includes(value as T)) return value as T;
  throw invalid(where, name, `one of ${choices.map((c) => JSON.stringify(c)).join(", ")}`, value);
}

/**
 * A value of a `typeof` type (`string`, `boolean`, `function`), or `undefined`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { optionalOfType } from "./validate.ts";
 * assert.equal(optionalOfType(undefined, "string", "cwd", "executableTask(f)"), undefined);
 * assert.throws(() => optionalOfType(3, "string", "cwd", "executableTask(f)"), /'cwd' must be a string/);
 * ```
 */
export function optionalOfType(
  value: unknown,
  type: "string" | "boolean" | "function",
  name: string,
  where: string,
): unknown {
  if (value === undefined || typeof value === type) return value;
  throw invalid(where, name, `a ${type}`, value);
}

/**
 * A plain object whose values are all strings (an environment).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stringRecord } from "./validate.ts";
 * assert.deepEqual(stringRecord({ A: "1" }, "env", "executableTask(f)"), { A: "1" });
 * assert.throws(() => stringRecord({ A: 1 }, "env", "executableTask(f)"), /'env.A' must be a string/);
 * ```
 */
export function stringRecord(value: unknown, name: string, where: string): Record<string, string> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw invalid(where, name, "an object of strings", value);
  }
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== "string") throw invalid(where, `${name}.${key}`, "a string", v);
  }
  return value as Record<string, string>;
}

/**
 * A plain object (not `null`, not an array).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { plainObject } from "./validate.ts";
 * assert.throws(() => plainObject([], "resources", "functionTask(f)"), /'resources' must be an object/);
 * ```
 */
export function plainObject(value: unknown, name: string, where: string): Record<string, unknown> {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    return value as Record<string, unknown>;
  }
  throw invalid(where, name, "an object", value);
}

/**
 * Refuses a key that is not in `known`, naming the known ones.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { knownKeys } from "./validate.ts";
 * assert.throws(
 *   () => knownKeys({ retires: 1 }, ["retries", "timeout"], "option", "functionTask(f)"),
 *   /unknown option 'retires' \(known: retries, timeout\)/,
 * );
 * ```
 */
export function knownKeys(
  value: Record<string, unknown>,
  known: readonly string[] | ReadonlySet<string>,
  what: string,
  where: string,
): void {
  const set: ReadonlySet<string> = known instanceof Set ? known : new Set(known);
  for (const key of Object.keys(value)) {
    if (!set.has(key)) {
      throw new TypeError(`${where}: unknown ${what} '${key}' (known: ${[...set].join(", ")})`);
    }
  }
}

/**
 * An integer of at least `min` (and at most `max`) written as text (a command-line flag).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { integerText } from "./validate.ts";
 * assert.equal(integerText("4", 1, "--cores", "asyncflow agent"), 4);
 * assert.throws(() => integerText("4.5", 1, "--cores", "asyncflow agent"), /'--cores' must be a positive integer/);
 * assert.throws(() => integerText("70000", 0, "--port", "asyncflow dashboard", 65535), /an integer from 0 to 65535/);
 * ```
 */
export function integerText(
  text: string,
  min: number,
  name: string,
  where: string,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (/^\d{1,15}$/.test(text) && Number(text) >= min && Number(text) <= max) return Number(text);
  const expected = max !== Number.MAX_SAFE_INTEGER
    ? `an integer from ${min} to ${max}`
    : min === 1
    ? "a positive integer"
    : `an integer >= ${min}`;
  throw invalid(where, name, expected, text);
}
