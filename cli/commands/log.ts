/**
 * `asyncflow log`: the recorded runs, newest first.
 *
 * @module
 */
import { listRuns } from "../runs/find_run.ts";
import { formatDuration, formatTime } from "../runs/format_time.ts";
import type { RunInfo } from "../runs/run_info.ts";
import { runsDir } from "../runs/runs_dir_option.ts";
import { EXIT, parseCommandArgs, positiveInt, UsageError } from "../usage.ts";
import type { Command } from "./command.ts";

const HELP = `Usage: asyncflow log [options]

Lists the recorded runs, newest first: id, status, start, duration, task counts and
workflow. 'asyncflow show <run>' tells more of one.

Options:
  --runs-dir <dir>     where the runs are (default: $ASYNCFLOW_RUNS_DIR, else .asyncflow/runs)
  -n, --limit <n>      show at most n runs (default: all that are kept)
  --json               print the runs' run.json contents as a JSON array (with "dir")
  -h, --help           this help`;

/** The `log` subcommand. */
export const logCommand: Command = {
  name: "log",
  summary: "list the recorded runs, newest first",
  help: HELP,
  run(argv, io) {
    const { values, positionals } = parseCommandArgs("log", argv, {
      "runs-dir": { type: "string" },
      limit: { type: "string", short: "n" },
      json: { type: "boolean" },
    });
    if (values.help) {
      io.out(HELP + "\n");
      return Promise.resolve(EXIT.ok);
    }
    if (positionals.length > 0) {
      throw new UsageError("log", `takes no arguments, got '${positionals.join(" ")}'`);
    }
    const limit = positiveInt("log", "limit", values.limit);
    const root = runsDir(values["runs-dir"] as string | undefined);
    const runs = listRuns(root).slice(0, limit);
    if (values.json) {
      io.out(JSON.stringify(runs.map((r) => ({ ...r.info, dir: r.dir }))) + "\n");
    } else if (runs.length === 0) {
      io.err(`no runs in '${root}': 'asyncflow run' records one there\n`);
    } else io.out(formatLog(runs.map((r) => r.info)));
    return Promise.resolve(EXIT.ok);
  },
};

/**
 * The table `asyncflow log` prints.
 *
 * @param runs Newest first.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatLog } from "./log.ts";
 * const text = formatLog([{
 *   id: "20261201-120000-ab12", status: "failed", argv: [], cwd: "/", host: "h", pid: 1,
 *   engineUid: "e", startedAt: 0, endedAt: 2500, workflow: { name: "sweep" },
 *   counts: { created: 3, done: 2, failed: 1, cancelled: 0, retried: 0 },
 * }]);
 * assert.match(text, /^20261201-120000-ab12 +failed +\S+ \S+ +2\.50s +2 done, 1 failed +sweep$/m);
 * ```
 */
export function formatLog(runs: RunInfo[]): string {
  const rows = runs.map((r) => [
    r.id,
    r.status,
    formatTime(r.startedAt),
    r.endedAt === undefined ? "-" : formatDuration(r.endedAt - r.startedAt),
    countsText(r.counts),
    r.workflow?.name ?? r.argv.join(" "),
  ]);
  const header = ["RUN", "STATUS", "STARTED", "DURATION", "TASKS", "WORKFLOW"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ");
  return [header, ...rows].map(line).join("\n") + "\n";
}

/** `12 done, 1 failed`: the counts that are not zero (done always). */
export function countsText(c: RunInfo["counts"]): string {
  const parts = [`${c.done} done`];
  if (c.failed > 0) parts.push(`${c.failed} failed`);
  if (c.cancelled > 0) parts.push(`${c.cancelled} cancelled`);
  if (c.retried > 0) parts.push(`${c.retried} retried`);
  return parts.join(", ");
}
