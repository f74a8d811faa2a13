/**
 * One syntax for every duration asyncflow takes — timeouts, retry back-off,
 * heartbeats, deadlines: a number of milliseconds (in TypeScript), or a
 * string of one or more parts, each a number and a unit — `"500ms"`, `"30s"`,
 * `"5m"`, `"1h30m"`, `"1.5h"`, `"2d"`. The same strings work in TypeScript,
 * in YAML workflow files and in command-line flags.
 *
 * @module
 */
import { describe } from "./validate.ts";

/** The units of a duration string: milliseconds, seconds, minutes, hours, days. */
export type DurationUnit = "ms" | "s" | "m" | "h" | "d";

/** One part of a duration string: a number and a unit, `"30s"`. */
export type DurationPart = `${number}${DurationUnit}`;

/**
 * A duration as text: one to three parts of a number and a unit, such as
 * `"500ms"`, `"30s"`, `"1h30m"` or `"1h30m15s"` (the parser takes more parts;
 * the type stops at three).
 */
export type DurationText =
  | DurationPart
  | `${DurationPart}${DurationPart}`
  | `${DurationPart}${DurationPart}${DurationPart}`;

/**
 * A duration: a number of milliseconds, or a {@linkcode DurationText} such as
 * `"30s"` or `"1h30m"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type Duration, WorkflowEngine } from "@asyncflow/asyncflow";
 * const limit: Duration = "1m30s"; // or 90_000
 * await using flow = await WorkflowEngine.create();
 * const quick = flow.functionTask(() => "done", { timeout: limit });
 * assert.equal(quick.options.timeout, 90_000); // kept in milliseconds
 * assert.equal(await quick(), "done");
 * ```
 */
export type Duration = number | DurationText;

/** The accepted forms, as error messages state them. */
export const DURATION_FORMS =
  'a number of milliseconds or a string such as "500ms", "30s", "5m", "1h30m" (units ms, s, m, h, d)';

/** The accepted forms where text is all there is (YAML, flags). */
export const DURATION_TEXT_FORMS =
  'a string such as "500ms", "30s", "5m", "1h30m" (units ms, s, m, h, d)';

const UNIT_MS: Record<DurationUnit, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};
const PART = /(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h|d)/y;
const WORDS: Record<string, DurationUnit> = {
  millisecond: "ms",
  milliseconds: "ms",
  msec: "ms",
  sec: "s",
  secs: "s",
  second: "s",
  seconds: "s",
  min: "m",
  mins: "m",
  minute: "m",
  minutes: "m",
  hr: "h",
  hrs: "h",
  hour: "h",
  hours: "h",
  day: "d",
  days: "d",
};

/** How {@linkcode parseDuration} reads its value. */
export interface DurationRules {
  /** Accept zero (a back-off may be none; a timeout may not). Default `false`. */
  zero?: boolean;
  /** Only text is accepted (a flag, a YAML field): a bare number is refused. Default `false`. */
  textOnly?: boolean;
}

/**
 * Reads a duration in milliseconds.
 *
 * @param value A number of milliseconds, or a duration string (`"1h30m"`).
 * @param name The option, field or flag, for the error: `timeout`, `--heartbeat`.
 * @param where The place, for the error: `functionTask(step)`, `asyncflow agent`.
 * @param rules Whether zero is allowed and whether numbers are.
 * @returns The duration in milliseconds: finite, positive (or zero when allowed).
 * @throws {TypeError} Naming the place, the option, the accepted forms and the value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseDuration } from "@asyncflow/asyncflow";
 * assert.equal(parseDuration("1h30m", "timeout", "functionTask(f)"), 5_400_000);
 * assert.equal(parseDuration(250, "timeout", "functionTask(f)"), 250);
 * assert.throws(
 *   () => parseDuration("5 minutes", "timeout", "functionTask(f)"),
 *   /functionTask\(f\): 'timeout' must be a duration of more than zero: a number of milliseconds or a string such as "500ms".* got the string "5 minutes" \(write "5m"\)/,
 * );
 * ```
 */
export function parseDuration(
  value: unknown,
  name: string,
  where: string,
  rules: DurationRules = {},
): number {
  const ms = durationMs(value, rules);
  if (ms !== undefined) return ms;
  throw new TypeError(`${where}: '${name}' ${durationProblem(value, rules)}`);
}

/**
 * What is wrong with a duration, as the end of a sentence that names it:
 * `must be a duration of more than zero: a number of milliseconds or … got …`. For checks
 * that name the field their own way (a YAML file's `file:line: field:`).
 *
 * @param value The value that {@linkcode parseDuration} refused.
 * @param rules The rules it was read by.
 * @returns The sentence, with a hint of what to write when one is known.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { durationProblem } from "@asyncflow/asyncflow";
 * assert.match(durationProblem("90 sec", { textOnly: true }), /got the string "90 sec" \(write "90s"\)$/);
 * ```
 */
export function durationProblem(value: unknown, rules: DurationRules = {}): string {
  const forms = rules.textOnly ? DURATION_TEXT_FORMS : DURATION_FORMS;
  const size = rules.zero ? "of zero or more" : "of more than zero";
  return `must be a duration ${size}: ${forms}, got ${describe(value)}${hint(value)}`;
}

/** The duration in ms, or `undefined` when `value` is not one by `rules`. */
function durationMs(value: unknown, rules: DurationRules): number | undefined {
  let ms: number | undefined;
  if (typeof value === "number" && !rules.textOnly) ms = value;
  else if (typeof value === "string") ms = parseText(value);
  if (ms !== undefined && Number.isFinite(ms) && (ms > 0 || (ms === 0 && rules.zero))) return ms;
  return undefined;
}

function parseText(text: string): number | undefined {
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex;
    const m = PART.exec(text);
    if (m === null || m.index !== start) return undefined;
    total += Number(m[1]) * UNIT_MS[m[2] as DurationUnit];
  }
  return text.length > 0 ? total : undefined;
}

/** What to write instead, for the mistakes people make. */
function hint(value: unknown): string {
  if (typeof value === "number") {
    return Number.isFinite(value) && value > 0
      ? ` (write "${value}ms", or "${value}s" for seconds)`
      : "";
  }
  if (typeof value !== "string") return "";
  if (/^\d+(\.\d+)?$/.test(value.trim())) {
    return ` (a duration needs a unit: "${value.trim()}s" or "${value.trim()}ms")`;
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$/i.exec(value);
  const unit = m
    ? (WORDS[m[2]!.toLowerCase()] ?? (m[2]! in UNIT_MS ? m[2] : undefined))
    : undefined;
  return m && unit ? ` (write "${m[1]}${unit}")` : "";
}

/**
 * A command-line flag's duration in ms: a whole number is seconds (`--timeout 600`, as the flags
 * always took), anything else the one duration syntax (`--timeout 10m`). `undefined` when it is
 * neither; the caller names the flag in its own usage error.
 *
 * @param text The flag's value.
 * @param zero Whether zero is allowed.
 * @returns The duration in ms, or `undefined`.
 */
export function flagDurationMs(text: string, zero = false): number | undefined {
  if (/^\d+$/.test(text)) {
    const ms = Number(text) * 1000;
    return Number.isSafeInteger(ms) && (ms > 0 || zero) ? ms : undefined;
  }
  return durationMs(text, { textOnly: true, zero });
}
