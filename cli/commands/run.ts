/**
 * `asyncflow run <workflow>`: runs a YAML or TypeScript workflow.
 *
 * @module
 */
import process from "node:process";
import { createBackends } from "../run/backends.ts";
import { loadWorkflow } from "../run/load_workflow.ts";
import { readResumeMap } from "../run/resume.ts";
import { formatSummary, runWorkflow } from "../run/run_workflow.ts";
import { stdoutToStderr } from "../run/stdout_to_stderr.ts";
import { loadTaskModules } from "../run/task_modules.ts";
import { EXIT, parseCommandArgs, positiveInt, UsageError } from "../usage.ts";
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
  --dry-run            check the wiring: every task finishes at once, nothing runs
  --trace <file>       write the event stream (JSONL, with results) to <file>
  --resume <trace>     skip tasks that completed with the same name, arguments and command
                       in <trace> (may be the same file as --trace)
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
    const { values, positionals } = parseCommandArgs("run", argv, {
      backend: { type: "string" },
      processes: { type: "string" },
      workers: { type: "string" },
      module: { type: "string", multiple: true },
      endpoint: { type: "string" },
      url: { type: "string" },
      token: { type: "string" },
      "dry-run": { type: "boolean" },
      trace: { type: "string" },
      resume: { type: "string" },
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
    const resume = values.resume === undefined ? undefined : await readResumeMap(str("resume")!);
    const loaded = await loadWorkflow("run", positionals[0]!);
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
    // With --json, stdout carries the summary alone: what the workflow prints goes to stderr.
    const restoreStdout = values.json ? stdoutToStderr() : () => {};
    const summary = await runWorkflow({
      workflow,
      backends,
      dryRun: values["dry-run"] === true,
      ...(values.trace === undefined ? {} : { tracePath: str("trace")! }),
      ...(resume === undefined ? {} : { resume }),
      quiet: values.quiet === true,
      io,
    }).finally(restoreStdout);
    if (values.json) io.out(JSON.stringify(summary) + "\n");
    else if (!values.quiet || summary.exitCode !== EXIT.ok) io.err(formatSummary(summary));
    return summary.exitCode;
  },
};
