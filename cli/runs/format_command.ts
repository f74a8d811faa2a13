/**
 * A command as a person would type it: a shell string as it is, an argv array with each word
 * quoted for `/bin/sh` where it needs it.
 *
 * @module
 */

/**
 * Renders a command for a terminal.
 *
 * @param command A shell string or an argv array.
 * @returns One line a shell would run the same way.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatCommand } from "./format_command.ts";
 * assert.equal(formatCommand(["echo", "a b", "it's"]), `echo 'a b' 'it'\\''s'`);
 * assert.equal(formatCommand("echo $HOME"), "echo $HOME");
 * ```
 */
export function formatCommand(command: string | readonly string[]): string {
  if (typeof command === "string") return command;
  return command.map(quote).join(" ");
}

function quote(word: string): string {
  if (/^[\w@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
