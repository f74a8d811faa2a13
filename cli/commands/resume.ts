/**
 * `asyncflow resume [run]`: runs a recorded run's command line again, resuming from it.
 *
 * @module
 */
import process from "node:process";
import { findRun } from "../runs/find_run.ts";
import { runsDir } from "../runs/runs_dir_option.ts";
import { EXIT, parseCommandArgs, UsageError } from "../usage.ts";
import type { Command } from "./command.ts";
import { runCommand } from "./run.ts";

const HELP = `Usage: asyncflow resume [run] [options]

Runs the workflow of a recorded run again with the same command line, skipping every
task that completed in it with the same name, arguments and command (what
'asyncflow run --resume <run>' does); a task that declared files runs again when
one of its outputs is missing or changed, or one of its inputs changed, and says
why (docs/files.md). A task that was interrupted was never recorded as done: it
always runs again. The run is an id, a unique prefix of one, or 'last' (the
default). The new run is recorded as a run of its own.

Options:
  --force <task>       run this task again although it completed (a name, 'generate[3]',
                       or a template, 'generate': all its calls); repeatable
  --runs-dir <dir>     where the runs are (default: $ASYNCFLOW_RUNS_DIR, else .asyncflow/runs)
  -h, --help           this help

Exit codes: those of 'asyncflow run'.`;

/** Flags of `run` that take a value, so the value is not taken for the workflow. */
const RUN_VALUE_FLAGS = new Set(["--resume", "--trace", "--force"]);

/** The `resume` subcommand. */
export const resumeCommand: Command = {
  name: "resume",
  summary: "run a recorded run again, skipping the tasks that completed (default: the last run)",
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs("resume", argv, {
      "runs-dir": { type: "string" },
      force: { type: "string", multiple: true },
    });
    if (values.help) {
      io.out(HELP + "\n");
      return EXIT.ok;
    }
    if (positionals.length > 1) {
      throw new UsageError("resume", `expected one run, got ${positionals.length}`);
    }
    const root = runsDir(values["runs-dir"] as string | undefined);
    const run = findRun("resume", root, positionals[0]);
    const [verb, ...rest] = run.info.argv;
    if (verb !== "run") {
      throw new UsageError(
        "resume",
        `run ${run.info.id} was not started by 'asyncflow run' (its command line: ${
          run.info.argv.join(" ")
        }); resume it with 'asyncflow run <workflow> --resume ${run.info.id}'`,
        { help: false },
      );
    }
    if (run.info.cwd !== process.cwd()) {
      throw new UsageError(
        "resume",
        `run ${run.info.id} was started in '${run.info.cwd}': resume it from there ` +
          `(its command line's paths are relative to it)`,
        { help: false },
      );
    }
    // The old run's own --resume and --trace would point at the wrong places: the new run
    // resumes from the old one and records itself; its --force was for that run only.
    const kept: string[] = [];
    for (let i = 0; i < rest.length; i++) {
      const arg = rest[i]!;
      if (RUN_VALUE_FLAGS.has(arg)) i++;
      else if (![...RUN_VALUE_FLAGS].some((f) => arg.startsWith(`${f}=`))) kept.push(arg);
    }
    const force = ((values.force ?? []) as string[]).flatMap((task) => ["--force", task]);
    io.err(`resuming run ${run.info.id}: asyncflow run ${[...kept, ...force].join(" ")}\n`);
    return await runCommand.run(
      [
        ...kept,
        "--resume",
        run.dir,
        ...force,
        ...(values["runs-dir"] ? ["--runs-dir", root] : []),
      ],
      io,
    );
  },
};
