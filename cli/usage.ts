/**
 * Exit codes, usage errors and argument parsing shared by every command.
 *
 * @module
 */
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { flagDurationMs } from "../src/duration.ts";
import { integerText, invalid, InvalidValueError, oneOf } from "../src/validate.ts";
import { didYouMean } from "./did_you_mean.ts";

/**
 * The exit codes scripts can rely on.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EXIT } from "./usage.ts";
 * assert.equal(EXIT.interrupted, 130);
 * ```
 */
export const EXIT = {
  /** Every task finished with a value. */
  ok: 0,
  /** Some task failed or was cancelled, or the workflow threw. */
  failed: 1,
  /** Wrong command line or invalid workflow file: nothing was run. */
  usage: 2,
  /** Stopped by Ctrl-C (SIGINT). */
  interrupted: 130,
} as const;

/**
 * A mistake on the command line or in an input file: the command prints it
 * and exits with {@linkcode EXIT.usage}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { UsageError } from "./usage.ts";
 * assert.equal(new UsageError("run", "missing <workflow>").command, "run");
 * ```
 */
export class UsageError extends Error {
  /** The subcommand, for the "see --help" hint; empty for the top level. */
  readonly command: string;
  /** Whether the command's help can fix it (a flag) or not (an agent that cannot be reached). */
  readonly help: boolean;

  /**
   * @param command The subcommand.
   * @param message What is wrong.
   * @param options `help: false` drops the "see --help" hint. Default: true.
   */
  constructor(command: string, message: string, options: { help?: boolean } = {}) {
    super(message);
    this.name = "UsageError";
    this.command = command;
    this.help = options.help ?? true;
  }
}

/** What a command's `parseArgs` call returns. */
export interface ParsedArgs {
  /** Option values by long name. */
  values: Record<string, string | boolean | string[] | undefined>;
  /** The positional arguments. */
  positionals: string[];
}

/**
 * Parses a subcommand's arguments strictly, turning parse errors (unknown
 * options, missing values) into {@linkcode UsageError}s that say which.
 *
 * @param command The subcommand's name, for messages.
 * @param argv Its arguments.
 * @param options Its options, in `node:util` `parseArgs` form (`help` is added).
 * @returns The values and positionals.
 * @throws {UsageError} On an unknown option or a malformed value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCommandArgs } from "./usage.ts";
 * const { values } = parseCommandArgs("run", ["--json", "w.yaml"], { json: { type: "boolean" } });
 * assert.equal(values.json, true);
 * ```
 */
export function parseCommandArgs(
  command: string,
  argv: string[],
  options: ParseArgsOptionsConfig,
): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({
      args: negativeValues(argv, options),
      options: { ...options, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as ParsedArgs["values"], positionals };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const unknown = /Unknown option '([^']+)'/.exec(message);
    if (unknown) {
      const known = Object.entries({ ...options, help: { short: "h" } }).flatMap((
        [name, option],
      ) => [`--${name}`, ...(option.short ? [`-${option.short}`] : [])]);
      throw new UsageError(
        command,
        `unknown option '${unknown[1]}'${didYouMean(unknown[1]!, known)}`,
      );
    }
    const ambiguous = /^Option '([^']+)' argument is ambiguous/.exec(message);
    if (ambiguous) {
      // A value that starts with '-' (a token, say) reads as an option; '=' joins it to its flag.
      const flag = ambiguous[1]!.split(",")[0]!.trim();
      const next = argv[argv.indexOf(flag) + 1] ?? "";
      throw new UsageError(
        command,
        `'${flag}' is followed by '${next}', which reads as an option: to give a value that ` +
          `starts with '-', join it to its flag, as in ${flag}${
            flag.startsWith("--") ? "=" : ""
          }${next}`,
      );
    }
    const missing = /^Option '(-\S+)(?:, (--\S+))? <value>' argument missing/.exec(message);
    if (missing) {
      throw new UsageError(command, `'${missing[2] ?? missing[1]}' needs a value after it`);
    }
    throw new UsageError(command, message.split("\n")[0]!.replace(/\.$/, ""));
  }
}

/**
 * Joins a value-taking flag to a negative number after it (`--limit -1` → `--limit=-1`, `-n -1` →
 * `-n-1`), which
 * parseArgs would otherwise take for an option of its own ("argument is ambiguous"): the value
 * then reaches the flag's check, which says what it must be, as for any other bad value.
 */
function negativeValues(argv: readonly string[], options: ParseArgsOptionsConfig): string[] {
  const takesValue = new Set<string>();
  for (const [name, option] of Object.entries(options)) {
    if (option.type !== "string") continue;
    takesValue.add(`--${name}`);
    if (option.short) takesValue.add(`-${option.short}`);
  }
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      out.push(...argv.slice(i));
      break;
    }
    const next = argv[i + 1];
    if (takesValue.has(arg) && next !== undefined && /^-\.?\d/.test(next)) {
      out.push(arg.startsWith("--") ? `${arg}=${next}` : `${arg}${next}`); // -n-1: -n's value
      i++;
    } else out.push(arg);
  }
  return out;
}

/**
 * Runs one of `src/validate.ts`'s checks on a flag of `command`: the check's error, of the form
 * every option of the engine uses (`'<name>' must be <what>, got <value>`), becomes the
 * command's usage error (exit 2, with the pointer to its `--help`).
 *
 * @param command The subcommand, for messages: `run`, `pilot submit`.
 * @param check The check, given the place (`asyncflow <command>`).
 * @returns What the check returns.
 * @throws {UsageError} When the check fails.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { flagCheck, UsageError } from "./usage.ts";
 * import { invalid } from "../src/validate.ts";
 * assert.throws(
 *   () => flagCheck("run", (where) => { throw invalid(where, "--x", "a word", 1); }),
 *   (e) => e instanceof UsageError && e.message === "'--x' must be a word, got number 1",
 * );
 * ```
 */
export function flagCheck<T>(command: string, check: (where: string) => T): T {
  try {
    return check(`asyncflow ${command}`);
  } catch (error) {
    if (error instanceof InvalidValueError) throw new UsageError(command, error.problem);
    throw error;
  }
}

/**
 * Reads a flag that must be an integer of at least `min` (at most `max`).
 *
 * @param command The subcommand.
 * @param name The flag without its dashes.
 * @param value What was given, `undefined` when the flag was not.
 * @param min The least value. Default 1.
 * @param max The greatest value. Default: no bound.
 * @returns The integer, or `undefined` when the flag was not given.
 * @throws {UsageError} When it is not one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { integerFlag } from "./usage.ts";
 * assert.equal(integerFlag("agent", "gpus", "0", 0), 0);
 * assert.throws(() => integerFlag("agent", "gpus", "1.5", 0), /'--gpus' must be an integer >= 0/);
 * ```
 */
export function integerFlag(
  command: string,
  name: string,
  value: unknown,
  min = 1,
  max?: number,
): number | undefined {
  if (value === undefined) return undefined;
  return flagCheck(command, (where) => integerText(String(value), min, `--${name}`, where, max));
}

/**
 * Reads a flag that must be a positive integer.
 *
 * @throws {UsageError} When it is not one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { positiveInt } from "./usage.ts";
 * assert.equal(positiveInt("run", "processes", "4"), 4);
 * assert.throws(() => positiveInt("run", "processes", "0"), /'--processes' must be a positive integer, got the string "0"/);
 * ```
 */
export function positiveInt(command: string, name: string, value: unknown): number | undefined {
  return integerFlag(command, name, value, 1);
}

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  K: 1024,
  M: 1024 ** 2,
  G: 1024 ** 3,
  T: 1024 ** 4,
};

/**
 * Reads a flag that is a size in bytes: a whole number, or one with `K`, `M`, `G` or `T` (powers
 * of 1024, `iB` or `B` after them allowed): `512M`, `32G`, `1GiB`.
 *
 * @returns The bytes, or `undefined` when the flag was not given.
 * @throws {UsageError} When it is not a positive size.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sizeFlag } from "./usage.ts";
 * assert.equal(sizeFlag("agent", "max-store-bytes", "32G"), 32 * 1024 ** 3);
 * assert.equal(sizeFlag("agent", "max-file-bytes", "4096"), 4096);
 * assert.throws(() => sizeFlag("agent", "max-file-bytes", "1.5G"), /'--max-file-bytes' must be a size in bytes/);
 * ```
 */
export function sizeFlag(command: string, name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const m = /^([1-9]\d*)([KMGT]?)(?:i?B)?$/i.exec(String(value).trim());
  const bytes = m ? Number(m[1]) * SIZE_UNITS[m[2]!.toUpperCase()]! : NaN;
  return flagCheck(command, (where) => {
    if (Number.isSafeInteger(bytes)) return bytes;
    throw invalid(where, `--${name}`, "a size in bytes (4096, 512M, 32G)", value);
  });
}

/**
 * Reads a flag that takes one of a few words.
 *
 * @returns The word, or `undefined` when the flag was not given.
 * @throws {UsageError} When it is another.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { choiceFlag } from "./usage.ts";
 * assert.equal(choiceFlag("graph", "format", "dot", ["mermaid", "dot"]), "dot");
 * assert.throws(() => choiceFlag("graph", "format", "png", ["mermaid", "dot"]), /must be one of "mermaid", "dot"/);
 * ```
 */
export function choiceFlag<const T extends string>(
  command: string,
  name: string,
  value: unknown,
  choices: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  return flagCheck(command, (where) => oneOf(value, choices, `--${name}`, where));
}

/**
 * Reads a flag that takes a duration: seconds (`45`) or the one duration syntax (`"2m"`).
 *
 * @param command The subcommand.
 * @param name The flag without its dashes.
 * @param value What was given.
 * @param zero Whether zero is allowed. Default false.
 * @returns The duration in ms, or `undefined` when the flag was not given.
 * @throws {UsageError} When it is neither.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { durationFlag } from "./usage.ts";
 * assert.equal(durationFlag("pilot endpoint", "timeout", "10m"), 600_000);
 * assert.throws(() => durationFlag("agent", "cut-margin", "soon", true), /'--cut-margin' must be seconds/);
 * ```
 */
export function durationFlag(
  command: string,
  name: string,
  value: unknown,
  zero = false,
): number | undefined {
  if (value === undefined) return undefined;
  const ms = flagDurationMs(String(value), zero);
  if (ms !== undefined) return ms;
  return flagCheck(command, (where) => {
    throw invalid(where, `--${name}`, 'seconds (45) or a duration ("2m", "90s")', value);
  });
}

/**
 * Reads a repeatable flag of `<key>=<value>` pairs (`--module name=path`, `--env NAME=VALUE`).
 *
 * @param command The subcommand.
 * @param name The flag without its dashes.
 * @param values What was given.
 * @param form How the pair is written, for the message: `name=path`.
 * @param emptyValue Whether `<key>=` (an empty value) is allowed. Default false.
 * @returns The pairs, in order.
 * @throws {UsageError} When one has no key or no `=`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pairFlags } from "./usage.ts";
 * assert.deepEqual(pairFlags("agent", "module", ["t=./t.ts"], "name=path"), { t: "./t.ts" });
 * assert.throws(() => pairFlags("agent", "module", ["t"], "name=path"), /'--module' must be name=path/);
 * ```
 */
export function pairFlags(
  command: string,
  name: string,
  values: readonly string[] | undefined,
  form: string,
  emptyValue = false,
): Record<string, string> {
  const pairs: Record<string, string> = {};
  for (const pair of values ?? []) {
    const eq = pair.indexOf("=");
    if (eq < 1 || (!emptyValue && eq === pair.length - 1)) {
      flagCheck(command, (where) => {
        throw invalid(where, `--${name}`, form, pair);
      });
    }
    pairs[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return pairs;
}
