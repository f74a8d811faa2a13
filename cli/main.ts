#!/usr/bin/env -S deno run -A
/**
 * The `asyncflow` command: `run`, `resume`, `log`, `show`, `graph`, `report`,
 * `dashboard`, `agent`, `pilot`, `version` and `help`. Runs unchanged on Deno, Bun and Node 24, and as a
 * standalone binary (`bun build --compile`). This module is the package's
 * `./cli` export: run as a program (`deno run -A jsr:@asyncflow/asyncflow/cli`)
 * it runs the command line; imported, it offers {@linkcode main} to run the
 * command in-process. The npm package's `asyncflow` bin calls it too.
 *
 * Exit codes: 0 success, 1 some task failed, 2 wrong usage or invalid input
 * (nothing ran), 130 interrupted by Ctrl-C.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EXIT, main, memoryIo } from "@asyncflow/asyncflow/cli";
 * const io = memoryIo();
 * assert.equal(await main(["graph", "examples/campaigns.yaml"], io), EXIT.ok);
 * assert.match(io.stdout, /^graph TD\n/);
 * ```
 *
 * @module
 */
import process from "node:process";
import { agentCommand } from "./commands/agent.ts";
import { pilotCommand } from "./commands/pilot.ts";
import type { Command } from "./commands/command.ts";
import { dashboardCommand } from "./commands/dashboard.ts";
import { didYouMean } from "./did_you_mean.ts";
import { graphCommand } from "./commands/graph.ts";
import { logCommand } from "./commands/log.ts";
import { reportCommand } from "./commands/report.ts";
import { resumeCommand } from "./commands/resume.ts";
import { runCommand } from "./commands/run.ts";
import { showCommand } from "./commands/show.ts";
import { type CliIo, processIo } from "./io.ts";
import { EXIT, UsageError } from "./usage.ts";
import { VERSION } from "./version.ts";

export { type CliIo, memoryIo } from "./io.ts";
export { EXIT } from "./usage.ts";
export { VERSION } from "./version.ts";
export { recordRun } from "./runs/record_run.ts";
export type { RecordRunOptions, RunRecord } from "./runs/record_run.ts";
export { listRuns } from "./runs/find_run.ts";
export { readResume } from "./run/resume.ts";
export type { ResumeData } from "./run/resume.ts";
export type { FoundRun } from "./runs/find_run.ts";
export { LeafResults } from "./runs/leaves.ts";
export type { LeafResult, RunInfo, RunStatus } from "./runs/run_info.ts";

const COMMANDS: readonly Command[] = [
  runCommand,
  resumeCommand,
  logCommand,
  showCommand,
  graphCommand,
  reportCommand,
  dashboardCommand,
  agentCommand,
  pilotCommand,
];

function topHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length), "version".length) + 2;
  const line = (name: string, summary: string) => `  ${name.padEnd(width)}${summary}`;
  return [
    "Usage: asyncflow <command> [options]",
    "",
    "Commands:",
    ...COMMANDS.map((c) => line(c.name, c.summary)),
    line("version", "print the version"),
    line("help", "this help, or 'asyncflow help <command>'"),
    "",
    "Run 'asyncflow <command> --help' for a command's options.",
    "Exit codes: 0 success, 1 some task failed, 2 wrong usage or invalid input, 130 interrupted.",
  ].join("\n");
}

/**
 * Runs the `asyncflow` command line.
 *
 * @param argv The arguments after the program's name.
 * @param io Where to write. Default: the process's stdout and stderr.
 * @returns The exit code.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { main, memoryIo, VERSION } from "@asyncflow/asyncflow/cli";
 * const io = memoryIo();
 * assert.equal(await main(["--version"], io), 0);
 * assert.equal(io.stdout, `asyncflow ${VERSION}\n`);
 * ```
 */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === "-h" || name === "--help") {
      (name === undefined ? io.err : io.out)(topHelp() + "\n");
      return name === undefined ? EXIT.usage : EXIT.ok;
    }
    if (name === "version" || name === "--version" || name === "-V") {
      io.out(`asyncflow ${VERSION}\n`);
      return EXIT.ok;
    }
    if (name === "help") {
      const topic = rest[0];
      if (topic === undefined) {
        io.out(topHelp() + "\n");
        return EXIT.ok;
      }
      return await commandNamed(topic).run(["--help"], io);
    }
    return await commandNamed(name).run(rest, io);
  } catch (error) {
    return report(error, io);
  }
}

function commandNamed(name: string): Command {
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    const known = [...COMMANDS.map((c) => c.name), "version", "help"];
    throw new UsageError(
      "",
      `unknown command '${name}'${didYouMean(name, known)} (commands: ${known.join(", ")})`,
    );
  }
  return command;
}

/** Prints what went wrong and picks the exit code. */
function report(error: unknown, io: CliIo): number {
  if (error instanceof UsageError) {
    const where = error.command === "" ? "asyncflow" : `asyncflow ${error.command}`;
    const help = error.command === "" ? "asyncflow --help" : `asyncflow ${error.command} --help`;
    io.err(`${where}: ${error.message}\n${error.help ? `Run '${help}' for usage.\n` : ""}`);
    return EXIT.usage;
  }
  if (error instanceof Error && error.name === "WorkflowFileError") {
    io.err(`${error.message}\nNothing was run.\n`);
    return EXIT.usage;
  }
  io.err(`asyncflow: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return EXIT.failed;
}

if (import.meta.main) process.exit(await main(process.argv.slice(2)));
