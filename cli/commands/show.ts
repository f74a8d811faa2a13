/**
 * `asyncflow show [run] [task]`: a recorded run's summary, or what one of its tasks ran.
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { TaskEvent } from "../../mod.ts";
import { findRun } from "../runs/find_run.ts";
import { TRACE_FILE } from "../runs/run_info.ts";
import { runsDir } from "../runs/runs_dir_option.ts";
import { formatRun, formatTask } from "../runs/show_text.ts";
import { findTask, taskView } from "../runs/task_view.ts";
import { EXIT, parseCommandArgs, UsageError } from "../usage.ts";
import type { Command } from "./command.ts";

const HELP = `Usage: asyncflow show [run] [task] [options]

Without a task: the run's summary — status, workflow, command line, times, counts,
results, failures — and its tasks. With a task (its uid or its name): what it ran —
command, cwd, env, host, pid, exit code or signal, attempts, resources, where — its
value or error with its stack, and the beginning and end of its stdout and stderr
(all of them are in the files it names).

The run is an id, a unique prefix of one, or 'last' (the default).

Options:
  --runs-dir <dir>     where the runs are (default: $ASYNCFLOW_RUNS_DIR, else .asyncflow/runs)
  --json               print it as JSON: { run, tasks } or the task's record
  -h, --help           this help`;

/** The `show` subcommand. */
export const showCommand: Command = {
  name: "show",
  summary: "show a recorded run, or what one of its tasks ran",
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs("show", argv, {
      "runs-dir": { type: "string" },
      json: { type: "boolean" },
    });
    if (values.help) {
      io.out(HELP + "\n");
      return EXIT.ok;
    }
    if (positionals.length > 2) {
      throw new UsageError("show", `expected [run] [task], got ${positionals.length} arguments`);
    }
    const [runRef, taskRef] = positionals;
    const run = findRun("show", runsDir(values["runs-dir"] as string | undefined), runRef);
    const events = await readEvents(join(run.dir, TRACE_FILE));
    const { buildGraph } = await import("../../graph/mod.ts");
    const graph = buildGraph(events);
    if (taskRef === undefined) {
      io.out(
        values.json
          ? JSON.stringify({ run: { ...run.info, dir: run.dir }, tasks: graph.nodes }) + "\n"
          : formatRun(run.info, graph, run.dir, events),
      );
      return EXIT.ok;
    }
    const view = taskView(findTask("show", graph.nodes, taskRef), events);
    io.out(values.json ? JSON.stringify(view) + "\n" : formatTask(view));
    return EXIT.ok;
  },
};

async function readEvents(trace: string): Promise<TaskEvent[]> {
  let text: string;
  try {
    text = await readFile(trace, "utf8");
  } catch (error) {
    const code = (error as { code?: string }).code ?? String(error);
    throw new UsageError("show", `cannot read the run's trace '${trace}': ${code}`, {
      help: false,
    });
  }
  const { readTrace } = await import("../../graph/mod.ts");
  try {
    return readTrace(text);
  } catch (error) {
    throw new UsageError("show", `${trace}: ${error instanceof Error ? error.message : error}`, {
      help: false,
    });
  }
}
