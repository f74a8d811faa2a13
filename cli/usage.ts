/**
 * Exit codes, usage errors and argument parsing shared by every command.
 *
 * @module
 */
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
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
      args: argv,
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
    throw new UsageError(command, message.split("\n")[0]!.replace(/\.$/, ""));
  }
}

/**
 * Reads an option that must be a positive integer.
 *
 * @throws {UsageError} When it is not one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { positiveInt } from "./usage.ts";
 * assert.equal(positiveInt("run", "processes", "4"), 4);
 * ```
 */
export function positiveInt(command: string, name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new UsageError(command, `'--${name}' must be a positive integer, got '${String(value)}'`);
  }
  return n;
}
