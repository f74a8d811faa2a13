/**
 * What a command runs is loaded only when it is used (an HTTP server, the batch system's client):
 * a build without it still runs the other commands, and says so clearly when asked for it.
 *
 * @module
 */

/**
 * Imports a command's module, saying so once on stderr when this build does not have it.
 *
 * @param io Where to say it.
 * @param name The command, for the message.
 * @param load The import.
 * @returns The module, or `undefined` when it cannot be loaded (the command then exits 1).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadCommand } from "./load_command.ts";
 * let said = "";
 * const mod = await loadCommand({ err: (t) => said += t }, "x", () => import("./no_such.ts"));
 * assert.equal(mod, undefined);
 * assert.match(said, /^asyncflow x: this build cannot load the x command: /);
 * ```
 */
export async function loadCommand<T>(
  io: { err(text: string): void },
  name: string,
  load: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await load();
  } catch (error) {
    io.err(
      `asyncflow ${name}: this build cannot load the ${name} command: ${
        error instanceof Error ? error.message : error
      }\n`,
    );
    return undefined;
  }
}
