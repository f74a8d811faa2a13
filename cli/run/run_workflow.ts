/**
 * Runs a loaded workflow to the end on a fresh engine: wires the trace, the
 * progress view and Ctrl-C handling to the engine's event stream, waits for
 * every task the workflow started, shuts the engine down, and sums up.
 *
 * @module
 */
import {
  type Backend,
  type EngineStats,
  type FileRecord,
  type TaskEvent,
  WorkflowEngine,
} from "../../mod.ts";
import type { CliIo } from "../io.ts";
import { whyNotWritable } from "../output_file.ts";
import { EXIT, UsageError } from "../usage.ts";
import type { Workflow } from "./load_workflow.ts";
import { ProgressView } from "./progress.ts";
import type { RunDashboard } from "./run_dashboard.ts";
import { onStopSignal, STOP_SIGNALS, type StopSignal } from "./signals.ts";
import { describeStartFailure } from "./start_failure.ts";
import { TraceWriter } from "./trace_writer.ts";
import { formatCommand } from "../runs/format_command.ts";
import { LeafResults } from "../runs/leaves.ts";
import type { RunRecord } from "../runs/record_run.ts";
import type { LeafResult } from "../runs/run_info.ts";

/** How to run a workflow. */
export interface RunOptions {
  /** The workflow. */
  workflow: Workflow;
  /** The backends; none means the engine's default local backend. */
  backends?: Backend[];
  /** Run nothing: check the wiring with no-op backends. */
  dryRun?: boolean;
  /** Write the event stream here (JSONL), with results, so the run can be resumed. */
  tracePath?: string;
  /** The run directory to record the run in. */
  record?: RunRecord;
  /** Results of an earlier run, by memo key. */
  resume?: ReadonlyMap<string, unknown>;
  /** With `resume`: the fingerprints of the declared files of those tasks, by memo key. */
  resumeFiles?: ReadonlyMap<string, FileRecord>;
  /** With `resume`: tasks (names or templates) to run again although recorded. */
  force?: readonly string[];
  /** The live dashboard, attached to the engine before any task runs; the caller closes it. */
  dashboard?: RunDashboard;
  /** No progress line or log lines. */
  quiet?: boolean;
  /** Where to write. */
  io: CliIo;
}

/** A failed task, in the summary. */
export interface FailureInfo {
  uid: string;
  name: string;
  error: { name: string; message: string };
}

/** What `asyncflow run --json` prints. */
export interface RunSummary {
  /** The workflow file. */
  workflow: string;
  /** Its name. */
  name: string;
  /** `ok` (every task done), `failed` (some task failed or was cancelled, or the workflow threw) or `interrupted`. */
  status: "ok" | "failed" | "interrupted";
  /** The process exit code this run means. */
  exitCode: number;
  /** The backends' names. */
  backends: string[];
  /** Whether nothing really ran. */
  dryRun: boolean;
  /** Wall-clock time, in ms. */
  elapsedMs: number;
  /** Counts of tasks and blocks. */
  tasks: Omit<EngineStats, "pending" | "running"> & {
    resumed: number;
    /** On a resumed run: the tasks recorded as done that ran again (each said why). */
    rerun?: number;
  };
  /** The tasks that failed for a reason of their own (not because a dependency failed), at most 20. */
  failures: FailureInfo[];
  /** The results of the leaf tasks (top-level tasks nothing depends on), at most 20. */
  results: LeafResult[];
  /** In a dry run: every command that would have run, arguments filled in. */
  commands?: { uid: string; name: string; command: string; cwd?: string }[];
  /** On a resumed run: `true` when no task had to run (every one was recorded and up to date). */
  upToDate?: boolean;
  /** The run's directory and id, when it was recorded. */
  run?: { id: string; dir: string };
  /** The trace file, when one was written. */
  trace?: string;
  /** Why the trace stopped before the end of the run (it is incomplete), if it did. */
  traceError?: string;
  /** The signal that stopped the run. */
  signal?: StopSignal;
  /** What the workflow code threw, if it did. */
  error?: string;
}

const MAX_FAILURES = 20;
/** How many leaf results the human summary shows (`--json` has up to 20). */
const MAX_RESULTS_SHOWN = 10;
/** How the worker pool says that no task module exports a task's function. */
const UNADDRESSABLE = /is not exported by any of its task modules/;

/**
 * Runs a workflow to the end (or until Ctrl-C) and sums it up.
 *
 * @param options The workflow, backends, trace, resume data and output.
 * @returns The summary; its `exitCode` is what the process should exit with.
 *
 * @example
 * ```ts ignore
 * import { runWorkflow } from "./run_workflow.ts";
 * const summary = await runWorkflow({ workflow, io: processIo(), tracePath: "run.jsonl" });
 * process.exitCode = summary.exitCode;
 * ```
 */
export async function runWorkflow(options: RunOptions): Promise<RunSummary> {
  const { workflow, io } = options;
  const started = performance.now();
  const trace = options.tracePath === undefined ? undefined : openTrace(options.tracePath);
  let flow: WorkflowEngine;
  try {
    flow = await WorkflowEngine.create({
      ...(options.backends && options.backends.length > 0 ? { backends: options.backends } : {}),
      dryRun: options.dryRun ?? false,
      ...(options.resume ? { resume: options.resume } : {}),
      ...(options.resumeFiles ? { resumeFiles: options.resumeFiles } : {}),
      ...(options.force ? { force: options.force } : {}),
      recordResults: trace !== undefined,
      ...(options.record ? { record: options.record } : {}),
    });
  } catch (error) {
    trace?.close();
    if (options.record) {
      options.record.end({ status: "failed", error: describeStartFailure(error) });
      const none = { created: 0, running: 0, pending: 0, done: 0, failed: 0, cancelled: 0 };
      await options.record.close({ uid: "", stats: { ...none, retried: 0 } });
    }
    // A backend that cannot start (an agent out of reach, a refused token): nothing ran.
    throw new UsageError("run", describeStartFailure(error), { help: false });
  }
  try {
    await options.dashboard?.attach(flow, `asyncflow: ${workflow.name}`);
  } catch (error) {
    // Nothing ran: the engine goes, and the run is recorded as failed to start.
    options.record?.end({ status: "failed", error: (error as Error).message });
    await flow.shutdown();
    trace?.close();
    throw error;
  }
  const progress = options.quiet ? undefined : new ProgressView(io, () => flow.stats());
  const failures: FailureInfo[] = [];
  const leaves = new LeafResults();
  const commands: NonNullable<RunSummary["commands"]> = [];
  let resumed = 0;
  let rerun = 0;
  let submitted = 0;
  // The --force names that no call matched, by name or template: a typo is said, not ignored.
  const unmatched = new Set(options.force);
  const unsubscribe = flow.subscribe((event: TaskEvent) => {
    trace?.write(event);
    if (unmatched.size > 0 && event.type === "created") {
      unmatched.delete(event.name);
      if (event.template !== undefined) unmatched.delete(event.template);
    }
    progress?.onEvent(event);
    leaves.onEvent(event);
    if (flow.dryRun && event.record?.command !== undefined) {
      const { command, cwd } = event.record;
      commands.push({
        uid: event.uid,
        name: event.name,
        command: formatCommand(command),
        ...(cwd === undefined ? {} : { cwd }),
      });
    }
    if (event.type === "done" && event.resumed) resumed++;
    if (event.rerun !== undefined) rerun++;
    if (event.type === "submitted") submitted++;
    if (
      event.type === "failed" && event.error?.name !== "DependencyFailureError" &&
      failures.length < MAX_FAILURES
    ) {
      failures.push({
        uid: event.uid,
        name: event.name,
        error: event.error ?? { name: "Error", message: "" },
      });
    }
  });

  let removeSignals = () => {};
  const stopped = new Promise<StopSignal>((resolve) => (removeSignals = onStopSignal(resolve)));
  let thrown: unknown;
  let threw = false;
  const finished = (async () => {
    await workflow.run(flow);
    await allSettled(flow);
  })().then(
    () => undefined,
    (error) => {
      threw = true;
      thrown = error;
    },
  );
  const signal = await Promise.race([finished, stopped]);

  // Ctrl-C or the end: cancel what is left (killing processes), then write the last events out.
  removeSignals();
  if (signal !== undefined) options.record?.end({ status: "interrupted", error: signal });
  else if (threw) options.record?.end({ status: "failed", error: describeError(thrown) });
  let shutdownError: unknown;
  try {
    await flow.shutdown();
  } catch (error) {
    shutdownError = error;
  }
  unsubscribe();
  trace?.close();
  progress?.finish();
  for (const name of unmatched) {
    io.err(`warning: '--force ${name}' matched no task of this run (by name or template)\n`);
  }
  options.dashboard?.finish();

  const stats = flow.stats();
  const exitCode = signal !== undefined
    ? STOP_SIGNALS[signal]
    : threw || shutdownError !== undefined || trace?.failure !== undefined ||
        options.record?.traceFailure !== undefined || stats.failed + stats.cancelled > 0
    ? EXIT.failed
    : EXIT.ok;
  const summary: RunSummary = {
    workflow: workflow.file,
    name: workflow.name,
    status: signal !== undefined ? "interrupted" : exitCode === EXIT.ok ? "ok" : "failed",
    exitCode,
    backends: flow.backendNames,
    dryRun: flow.dryRun,
    elapsedMs: Math.round(performance.now() - started),
    tasks: {
      created: stats.created,
      done: stats.done,
      failed: stats.failed,
      cancelled: stats.cancelled,
      retried: stats.retried,
      resumed,
      ...(options.resume ? { rerun } : {}),
    },
    failures,
    results: leaves.results(),
  };
  if (flow.dryRun) summary.commands = commands;
  if (options.resume && exitCode === EXIT.ok && submitted === 0 && resumed > 0) {
    summary.upToDate = true;
  }
  if (options.record) {
    summary.run = { id: options.record.id, dir: options.record.dir };
    summary.trace = options.record.tracePath;
  }
  if (trace) summary.trace = trace.path;
  const traceError = trace?.failure ?? options.record?.traceFailure;
  if (traceError !== undefined) summary.traceError = traceError;
  if (signal !== undefined) summary.signal = signal;
  if (threw) summary.error = describeError(thrown);
  else if (shutdownError !== undefined) {
    summary.error = `shutdown failed: ${describeError(shutdownError)}`;
  }
  return summary;
}

function openTrace(path: string): TraceWriter {
  try {
    return new TraceWriter(path);
  } catch (error) {
    throw new UsageError("run", `cannot write the trace to '${path}': ${whyNotWritable(error)}`, {
      help: false,
    });
  }
}

/** Settles once no task or block of `flow` is pending or running. */
function allSettled(flow: WorkflowEngine): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      const s = flow.stats();
      if (s.pending + s.running > 0) return false;
      stop();
      resolve();
      return true;
    };
    const stop = flow.subscribe(check);
    check();
  });
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/**
 * The human summary of a run: one line of counts, then the failures.
 *
 * @param summary What {@linkcode runWorkflow} returned.
 * @returns Text ending in a newline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatSummary, type RunSummary } from "./run_workflow.ts";
 * const s: RunSummary = {
 *   workflow: "w.yaml", name: "w", status: "ok", exitCode: 0, backends: ["default"], dryRun: false,
 *   elapsedMs: 1500, tasks: { created: 2, done: 2, failed: 0, cancelled: 0, retried: 0, resumed: 0 },
 *   failures: [], results: [{ uid: "task.000002", name: "sum", value: "42" }],
 * };
 * assert.match(formatSummary(s), /^ok: 2 done, 0 failed, 0 cancelled in 1\.50s\n/);
 * assert.match(formatSummary(s), /^ {2}result: sum \(task\.000002\): 42$/m);
 * ```
 */
export function formatSummary(summary: RunSummary): string {
  const t = summary.tasks;
  const counts = [`${t.done} done`, `${t.failed} failed`, `${t.cancelled} cancelled`];
  if (t.retried > 0) counts.push(`${t.retried} retried`);
  if (t.resumed > 0) counts.push(`${t.resumed} resumed`);
  if (t.rerun !== undefined && t.rerun > 0) counts.push(`${t.rerun} rerun`);
  const head = summary.status === "interrupted"
    ? `interrupted (${summary.signal})`
    : summary.status;
  const lines = [
    `${head}: ${counts.join(", ")} in ${(summary.elapsedMs / 1000).toFixed(2)}s${
      summary.dryRun ? " (dry run)" : ""
    }`,
  ];
  if (summary.upToDate) {
    lines.push("  nothing to do: every task was done and up to date in the run resumed from");
  }
  // Tasks that failed with the same error (a function no worker can reach, say) share one line.
  const byError = new Map<string, FailureInfo[]>(); // not Map.groupBy: Node 20 has none
  for (const f of summary.failures) {
    const error = `${f.error.name}: ${f.error.message}`;
    byError.set(error, [...(byError.get(error) ?? []), f]);
  }
  for (const [error, failures] of byError) {
    const tasks = failures.slice(0, 3).map((f) => `${f.name} (${f.uid})`).join(", ");
    const more = failures.length > 3 ? ` and ${failures.length - 3} more` : "";
    lines.push(`  failed: ${tasks}${more}: ${error}`);
  }
  if (summary.failures.some((f) => UNADDRESSABLE.test(f.error.message))) {
    lines.push("  hint: name the module that exports the function with --module <file>");
  }
  const rethrown = summary.error === undefined ? undefined : byError.get(summary.error)?.[0];
  if (rethrown) lines.push(`  the workflow threw the error of ${rethrown.name} (${rethrown.uid})`);
  else if (summary.error) lines.push(`  the workflow threw: ${summary.error}`);
  const shown = summary.results.slice(0, MAX_RESULTS_SHOWN);
  for (const r of shown) lines.push(`  result: ${r.name} (${r.uid}): ${oneLine(r.value)}`);
  if (summary.results.length > shown.length) {
    lines.push(`  … ${summary.results.length - shown.length} more results in --json`);
  }
  if (summary.run) lines.push(`  run: ${summary.run.id} ('asyncflow show ${summary.run.id}')`);
  if (summary.traceError) {
    lines.push(`  trace: ${summary.trace} is incomplete: writing it failed: ${summary.traceError}`);
  } else if (summary.trace) lines.push(`  trace: ${summary.trace}`);
  return lines.join("\n") + "\n";
}

/** A value on one summary line: newlines shown as `⏎`, at most 120 characters. */
function oneLine(value: string): string {
  const flat = value.replace(/\n$/, "").replaceAll("\n", "⏎");
  return flat.length > 120 ? `${flat.slice(0, 117)}...` : flat;
}
