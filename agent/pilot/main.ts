/**
 * The pilot's command line as a program: `<runtime> agent/pilot/main.ts <command> [options]` is
 * `asyncflow pilot <command> [options]`. The command itself is `cli/commands/pilot.ts`.
 *
 * @module
 */
import process from "node:process";
import { main } from "../../cli/main.ts";

if (import.meta.main) process.exit(await main(["pilot", ...process.argv.slice(2)]));
