/**
 * The agent as a program: `<runtime> agent/main.ts [options]` is `asyncflow agent [options]`
 * (what a pilot's batch script runs). The command itself is `cli/commands/agent.ts`.
 *
 * @module
 */
import process from "node:process";
import { main } from "../cli/main.ts";

if (import.meta.main) process.exit(await main(["agent", ...process.argv.slice(2)]));
