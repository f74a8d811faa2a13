/**
 * `asyncflow report <trace.jsonl>`: a self-contained HTML report of a run.
 *
 * @module
 */
import { basename } from "node:path";
import { EXIT, parseCommandArgs } from "../usage.ts";
import { writeOutputFile } from "../output_file.ts";
import type { Command } from "./command.ts";
import { readTraceArgument } from "./trace_argument.ts";

const HELP = `Usage: asyncflow report <trace.jsonl> [options]

Writes one self-contained HTML file (no network needed to view it): a Gantt chart
by backend and worker, running tasks over time, the dependency graph, the critical
path and the failures.

Options:
  -o, --output <file>  where to write (default: the trace's name with .html)
  --title <text>       the page's title (default: the trace's file name)
  -h, --help           this help`;

/** The `report` subcommand. */
export const reportCommand: Command = {
  name: "report",
  summary: "write a self-contained HTML report of a trace",
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs("report", argv, {
      output: { type: "string", short: "o" },
      title: { type: "string" },
    });
    if (values.help) {
      io.out(HELP + "\n");
      return EXIT.ok;
    }
    const { trace, events } = await readTraceArgument("report", positionals);
    const { renderReport } = await import("../../report/mod.ts");
    const output = (values.output as string | undefined) ??
      trace.replace(/\.jsonl?$/, "") + ".html";
    const title = (values.title as string | undefined) ?? `asyncflow report: ${basename(trace)}`;
    await writeOutputFile("report", output, renderReport(events, { title }));
    io.err(`report written to ${output} (${events.length} events)\n`);
    return EXIT.ok;
  },
};
