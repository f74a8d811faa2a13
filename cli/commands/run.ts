/**
 * `asyncflow run <workflow>`: runs a YAML or TypeScript workflow.
 *
 * @module
 */
import process from "node:process";
import { createBackends } from "../run/backends.ts";
import { loadWorkflow } from "../run/load_workflow.ts";
import { readResume } from "../run/resume.ts";
import { portOption, RunDashboard } from "../run/run_dashboard.ts";
import { formatSummary, runWorkflow } from "../run/run_workflow.ts";
import { onStopSignal } from "../run/signals.ts";
import { stdoutToStderr } from "../run/stdout_to_stderr.ts";
import { loadTaskModules } from "../run/task_modules.ts";
import { traceOf } from "../runs/find_run.ts";
import { recordRun } from "../runs/record_run.ts";
import { runsDir } from "../runs/runs_dir_option.ts";
import { EXIT, parseCommandArgs, positiveInt, UsageError } from "../usage.ts";
import type { ResolvedParam } from "../yaml/params.ts";
import type { Command } from "./command.ts";

const HELP = `Usage: asyncflow run <workflow.yaml | workflow.ts> [options]

Runs a workflow: a YAML file (see docs/cli.md) or a module whose default export
is (flow: WorkflowEngine) => unknown. Shows a live progress line on a terminal and
one log line per finished task otherwise (both on stderr).

Options:
  --backend <kind>     local (default), workers or remote
  --processes <n>      commands run at once by the local backend (default: the cores)
  --workers <n>        workers of the pool, with --backend workers
  --module <file>      a task module for --backend workers or remote: its exported
                       functions can run there (repeatable; the workflow module is one)
  --endpoint <file>    the agent's endpoint file ({ url, token }), with --backend remote
  --url <url>          the agent's URL, with --token, instead of --endpoint
  --token <token>      the agent's bearer token (default: $ASYNCFLOW_TOKEN)
  --param <name=value> set a parameter of a YAML workflow's params: (repeatable); the
                       value is read as YAML: n=4 is a number, seeds=[1,2] a list
  --params <file>      a YAML or JSON mapping of parameter names to values; --param wins
                       over it, and it over the workflow's defaults
  --dry-run            check the wiring and print the parameters and every command that
                       would run, its arguments filled in (on stdout); nothing runs,
                       nothing is recorded
  --runs-dir <dir>     where runs are recorded (default: $ASYNCFLOW_RUNS_DIR, else
                       .asyncflow/runs); each run gets <dir>/<run-id>/ with run.json,
                       trace.jsonl and every command's outputs
  --keep-runs <n>      runs kept in --runs-dir; starting a run removes older finished
                       ones (default: 50)
  --no-record          write no run directory
  --trace <file>       also write the event stream (JSONL, with results) to <file>
  --resume [<run>]     skip tasks that completed with the same name, arguments and command
                       in <run>: a run id, an id prefix, 'last' (the default when --resume
                       ends the line or an option follows it), or a trace file; a task
                       that declared files runs again when an output is missing or changed,
                       or an input changed, and says why (docs/files.md)
  --force <task>       with --resume: run this task again although it completed (a name,
                       'generate[3]', or a template, 'generate': all its calls); repeatable
  --dashboard          serve the run's live dashboard on loopback while it runs (its URL,
                       with a random token, is printed on stderr); it closes when the run
                       ends: 'asyncflow dashboard <run>' shows it again
  --dashboard-port <n> the dashboard's port (default: a free one); implies --dashboard
  --dashboard-keep     keep serving the finished run's dashboard until Ctrl-C; implies
                       --dashboard
  --json               print a JSON summary on stdout, and nothing else there: what the
                       workflow prints goes to stderr
  -q, --quiet          no progress line or log lines
  -h, --help           this help

Exit codes: 0 every task done, 1 some task failed or was cancelled, 2 wrong usage or
invalid workflow (nothing ran), 130 interrupted by Ctrl-C.`;

/** The `run` subcommand. */
export const runCommand: Command = {
  name: "run",
  summary: "run a workflow (YAML or TypeScript) with live progress, traces and resume",
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs("run", resumeLastByDefault(argv), {
      backend: { type: "string" },
      processes: { type: "string" },
      workers: { type: "string" },
      module: { type: "string", multiple: true },
      endpoint: { type: "string" },
      url: { type: "string" },
      token: { type: "string" },
      param: { type: "string", multiple: true },
      params: { type: "string" },
      "dry-run": { type: "boolean" },
      "runs-dir": { type: "string" },
      "keep-runs": { type: "string" },
      "no-record": { type: "boolean" },
      trace: { type: "string" },
      resume: { type: "string" },
      force: { type: "string", multiple: true },
      dashboard: { type: "boolean" },
      "dashboard-port": { type: "string" },
      "dashboard-keep": { type: "boolean" },
      json: { type: "boolean" },
      quiet: { type: "boolean", short: "q" },
    });
    if (values.help) {
      io.out(HELP + "\n");
      return EXIT.ok;
    }
    if (positionals.length !== 1) {
      throw new UsageError(
        "run",
        positionals.length === 0
          ? "missing <workflow>"
          : `expected one workflow, got ${positionals.length}: ${positionals.join(" ")}`,
      );
    }
    const str = (key: string) => values[key] as string | undefined;
    const processesFlag = positiveInt("run", "processes", values.processes);
    const workers = positiveInt("run", "workers", values.workers);
    const token = str("token") ?? process.env.ASYNCFLOW_TOKEN;
    const kind = str("backend") ?? "local";
    const moduleFiles = (values.module ?? []) as string[];
    // Everything that can be wrong is checked before anything runs.
    if (workers !== undefined && kind !== "workers") {
      throw new UsageError(
        "run",
        `'--workers' sizes the worker pool: add '--backend workers' (the backend is '${kind}')`,
      );
    }
    if (moduleFiles.length > 0 && kind !== "workers" && kind !== "remote") {
      throw new UsageError(
        "run",
        `'--module' names task modules for '--backend workers' or '--backend remote'; ` +
          `the '${kind}' backend runs any function in this process`,
      );
    }
    const dashboardPort = portOption("run", "dashboard-port", str("dashboard-port"));
    const wantsDashboard = values.dashboard === true || values["dashboard-port"] !== undefined ||
      values["dashboard-keep"] === true;
    if (wantsDashboard && values["dry-run"]) {
      throw new UsageError("run", "'--dashboard' shows a run, and '--dry-run' runs nothing");
    }
    const root = runsDir(str("runs-dir"));
    const keep = positiveInt("run", "keep-runs", values["keep-runs"]);
    const force = (values.force ?? []) as string[];
    if (force.length > 0 && values.resume === undefined) {
      throw new UsageError(
        "run",
        `'--force ${force[0]}' reruns a task of a resumed run: add '--resume <run>' ` +
          `(or use 'asyncflow resume --force ${force[0]}'); without it every task runs anyway`,
      );
    }
    const resume = values.resume === undefined
      ? undefined
      : await readResume(traceOf("run", root, str("resume")).trace);
    const loaded = await loadWorkflow("run", positionals[0]!, {
      flags: (values.param ?? []) as string[],
      ...(values.params === undefined ? {} : { file: str("params")! }),
    });
    const extra = await loadTaskModules("run", moduleFiles);
    const workflow = {
      ...loaded,
      modules: [...loaded.modules, ...extra.filter((url) => !loaded.modules.includes(url))],
    };
    const processes = processesFlag ?? workflow.processes;
    const backends = values["dry-run"] ? [] : await createBackends({
      kind,
      ...(processes === undefined ? {} : { processes }),
      ...(workers === undefined ? {} : { workers }),
      ...(values.endpoint === undefined ? {} : { endpoint: str("endpoint")! }),
      ...(values.url === undefined ? {} : { url: str("url")! }),
      ...(token === undefined ? {} : { token }),
    }, workflow);
    // A dry run runs nothing, so there is nothing to record.
    const record = values["no-record"] || values["dry-run"] ? undefined : recordRun({
      dir: root,
      ...(keep === undefined ? {} : { keep }),
      argv: ["run", ...argv],
      workflow: {
        file: workflow.file,
        name: workflow.name,
        ...(workflow.description === undefined ? {} : { description: workflow.description }),
      },
    });
    const dashboard = wantsDashboard
      ? new RunDashboard({ port: dashboardPort, keep: values["dashboard-keep"] === true }, io)
      : undefined;
    // With --json, stdout carries the summary alone: what the workflow prints goes to stderr.
    const restoreStdout = values.json ? stdoutToStderr() : () => {};
    const summary = await runWorkflow({
      workflow,
      backends,
      dryRun: values["dry-run"] === true,
      ...(record === undefined ? {} : { record }),
      ...(values.trace === undefined ? {} : { tracePath: str("trace")! }),
      ...(resume === undefined ? {} : { resume: resume.results, resumeFiles: resume.files }),
      ...(force.length === 0 ? {} : { force }),
      ...(dashboard === undefined ? {} : { dashboard }),
      quiet: values.quiet === true,
      io,
    }).finally(restoreStdout).catch(async (error) => {
      await dashboard?.close();
      throw error;
    });
    if (!values.json && summary.commands) {
      io.out(formatDryRunParams(workflow.params ?? []));
      io.out(summary.commands.map(formatDryRunCommand).join(""));
    }
    if (values.json) io.out(JSON.stringify(withParams(summary, workflow.params)) + "\n");
    else if (!values.quiet || summary.exitCode !== EXIT.ok) io.err(formatSummary(summary));
    if (dashboard?.keep && summary.signal === undefined) {
      io.err(`dashboard: ${dashboard.url} shows the finished run; Ctrl-C stops it\n`);
      await new Promise<void>((resolve) => {
        const off = onStopSignal(() => {
          off();
          resolve();
        });
      });
    }
    await dashboard?.close();
    return summary.exitCode;
  },
};

/** The parameters of a dry run, one a line, each value as JSON (a number stays 4, a string "4"). */
function formatDryRunParams(params: readonly ResolvedParam[]): string {
  return params.map((p) => `# param ${p.name} = ${JSON.stringify(p.value)} (${p.from})\n`)
    .join("");
}

/** The JSON summary, with the parameters' values when the workflow has any. */
function withParams<T extends object>(summary: T, params: readonly ResolvedParam[] | undefined) {
  if (params === undefined) return summary;
  return { ...summary, params: Object.fromEntries(params.map((p) => [p.name, p.value])) };
}

/** One command of a dry run, as `snakemake -n -p` shows them: which task, then the command. */
function formatDryRunCommand(c: { uid: string; name: string; command: string; cwd?: string }) {
  return `# ${c.name} (${c.uid})${c.cwd === undefined ? "" : ` in ${c.cwd}`}\n${c.command}\n`;
}

/**
 * `--resume` with no run after it (last on the line, or before another option) resumes the last
 * run, as `asyncflow resume` does: `asyncflow run wf.yaml --resume`.
 */
function resumeLastByDefault(argv: readonly string[]): string[] {
  const out = [...argv];
  for (let i = 0; i < out.length; i++) {
    if (out[i] === "--") break;
    if (out[i] === "--resume" && (i + 1 === out.length || out[i + 1]!.startsWith("-"))) {
      out.splice(i + 1, 0, "last");
    }
  }
  return out;
}
