/**
 * `asyncflow dashboard <trace.jsonl>`: the live dashboard of a past run, served on loopback.
 *
 * @module
 */
import { basename } from "node:path";
import { portOption } from "../run/run_dashboard.ts";
import { onStopSignal } from "../run/signals.ts";
import { runsDir } from "../runs/runs_dir_option.ts";
import { EXIT, parseCommandArgs, UsageError } from "../usage.ts";
import type { Command } from "./command.ts";
import { readTraceArgument } from "./trace_argument.ts";

const HELP = `Usage: asyncflow dashboard [run | trace.jsonl] [options]

Serves the dashboard of a past run on loopback, with a random token in its URL,
until Ctrl-C: the report's views (Gantt chart by backend and worker, running tasks
over time, the graph coloured by state, failures) in a browser. Reach it from
another machine with ssh -L. The run is a recorded run (an id, a unique prefix, or
'last', the default) or a trace file.

Options:
  --port <n>           the port to listen on (default: a free one)
  --title <text>       the page's title (default: the trace's file name)
  --runs-dir <dir>     where the runs are (default: $ASYNCFLOW_RUNS_DIR, else .asyncflow/runs)
  -h, --help           this help`;

/** The `dashboard` subcommand. */
export const dashboardCommand: Command = {
  name: "dashboard",
  summary: "serve the dashboard of a past run (a recorded run or a trace) on loopback",
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs("dashboard", argv, {
      port: { type: "string" },
      title: { type: "string" },
      "runs-dir": { type: "string" },
    });
    if (values.help) {
      io.out(HELP + "\n");
      return EXIT.ok;
    }
    const port = portOption("dashboard", "port", values.port as string | undefined);
    const root = runsDir(values["runs-dir"] as string | undefined);
    const { trace, events } = await readTraceArgument("dashboard", positionals, root);
    const { serveDashboard } = await import("../../dashboard/mod.ts");
    const title = (values.title as string | undefined) ?? `asyncflow: ${basename(trace)}`;
    let dashboard;
    try {
      dashboard = await serveDashboard(events, { title, port });
    } catch (error) {
      const code = (error as { code?: string }).code;
      throw new UsageError(
        "dashboard",
        code === "EADDRINUSE" ? `port ${port} is in use: pick another with --port` : String(error),
      );
    }
    const stopped = Promise.withResolvers<void>();
    const off = onStopSignal(() => stopped.resolve());
    io.out(`${dashboard.url}\n`);
    io.err(`dashboard of ${trace} (${events.length} events); Ctrl-C stops it\n`);
    await stopped.promise;
    off();
    await dashboard.close();
    return EXIT.ok;
  },
};
