/**
 * `asyncflow report <trace.jsonl>`: a self-contained HTML report of a run.
 *
 * @module
 */
import { basename, join } from "node:path";
import type { ReportRunInfo } from "../../report/run_header.ts";
import type { RunInfo } from "../runs/run_info.ts";
import { runsDir } from "../runs/runs_dir_option.ts";
import { EXIT, parseCommandArgs } from "../usage.ts";
import { writeOutputFile } from "../output_file.ts";
import type { Command } from "./command.ts";
import { readTraceArgument } from "./trace_argument.ts";

const HELP = `Usage: asyncflow report [run | trace.jsonl] [options]

Writes one self-contained HTML file (no network needed to view it): a Gantt chart
by backend and worker, running tasks over time, the dependency graph, the critical
path and the failures. Of a recorded run (an id, a unique prefix, or 'last', the
default) or of a trace file.

Options:
  -o, --output <file>  where to write (default: report.html in the run's directory,
                       or the trace's name with .html)
  --title <text>       the page's title (default: the run's id or the trace's file name)
  --runs-dir <dir>     where the runs are (default: $ASYNCFLOW_RUNS_DIR, else .asyncflow/runs)
  -h, --help           this help`;

/**
 * The report's header from a run's `run.json`. The CLI keeps argv after the program's name
 * (`["run", "w.yaml"]`); the header shows the command as typed, so the name goes back in front.
 */
function reportRun(info: RunInfo): ReportRunInfo {
  const fromCli = info.argv[0] === "run" || info.argv[0] === "resume";
  return { ...info, argv: fromCli ? ["asyncflow", ...info.argv] : info.argv };
}

/** The `report` subcommand. */
export const reportCommand: Command = {
  name: "report",
  summary: "write a self-contained HTML report of a run or a trace",
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs("report", argv, {
      output: { type: "string", short: "o" },
      title: { type: "string" },
      "runs-dir": { type: "string" },
    });
    if (values.help) {
      io.out(HELP + "\n");
      return EXIT.ok;
    }
    const root = runsDir(values["runs-dir"] as string | undefined);
    const { trace, events, run } = await readTraceArgument("report", positionals, root);
    const { renderReport } = await import("../../report/mod.ts");
    const output = (values.output as string | undefined) ??
      (run ? join(run.dir, "report.html") : trace.replace(/\.jsonl?$/, "") + ".html");
    const title = (values.title as string | undefined) ??
      `asyncflow report: ${
        run ? `${run.info.workflow?.name ?? "run"} ${run.info.id}` : basename(trace)
      }`;
    await writeOutputFile(
      "report",
      output,
      renderReport(events, run ? { title, run: reportRun(run.info) } : { title }),
    );
    io.err(`report written to ${output} (${events.length} events)\n`);
    return EXIT.ok;
  },
};
