/**
 * `asyncflow agent` and `asyncflow pilot`: the remote agent's commands,
 * loaded only when used (they bring an HTTP server along).
 *
 * @module
 */
import { EXIT } from "../usage.ts";
import type { Command } from "./command.ts";

/** The `agent` subcommand: starts a pilot agent on this machine. */
export const agentCommand: Command = {
  name: "agent",
  summary: "serve a pilot agent (HTTP) that runs tasks for remote engines",
  help: "Usage: asyncflow agent [options]   (asyncflow agent --help lists them)",
  async run(argv, io) {
    const mod = await optional(io, "agent", () => import("../../agent/main.ts"));
    return mod === undefined ? EXIT.failed : await mod.agentCommand(argv);
  },
};

/** The `pilot` subcommand: submits, watches and cancels agents through the batch system. */
export const pilotCommand: Command = {
  name: "pilot",
  summary: "start an agent through the batch system (submit, status, endpoint, cancel)",
  help:
    "Usage: asyncflow pilot <submit|status|endpoint|cancel> [options]   (asyncflow pilot --help lists them)",
  async run(argv, io) {
    const mod = await optional(io, "pilot", () => import("../../agent/pilot/main.ts"));
    return mod === undefined ? EXIT.failed : await mod.pilotCommand(argv);
  },
};

/** Imports a command's module, saying so clearly when this build does not have it. */
async function optional<T>(
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
