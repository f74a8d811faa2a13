/**
 * The shape every `asyncflow` subcommand has.
 *
 * @module
 */
import type { CliIo } from "../io.ts";

/**
 * A subcommand: its name, a one-line summary for `asyncflow --help`, its
 * full help text, and what it does.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Command } from "./command.ts";
 * const hello: Command = {
 *   name: "hello",
 *   summary: "says hello",
 *   help: "Usage: asyncflow hello",
 *   run: (_argv, io) => { io.out("hello\n"); return Promise.resolve(0); },
 * };
 * assert.equal(hello.name, "hello");
 * ```
 */
export interface Command {
  /** What follows `asyncflow` on the command line. */
  name: string;
  /** One line for the list of commands. */
  summary: string;
  /** The full `--help` text. */
  help: string;
  /**
   * Runs the command.
   *
   * @param argv The arguments after the command's name.
   * @param io Where to write.
   * @returns The exit code.
   */
  run(argv: string[], io: CliIo): Promise<number>;
}
