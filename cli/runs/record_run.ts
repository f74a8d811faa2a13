/**
 * A run directory being written: the recorder `asyncflow run` plugs into the engine by default,
 * and that a program using the engine can plug in itself.
 *
 * @module
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import process from "node:process";
import type { EngineStats, RunRecorder, TaskEvent } from "../../mod.ts";
import { positiveInteger } from "../../src/validate.ts";
import { TraceWriter } from "../run/trace_writer.ts";
import { LeafResults } from "./leaves.ts";
import { pruneRuns } from "./prune.ts";
import {
  DEFAULT_KEEP,
  DEFAULT_RUNS_DIR,
  OUTPUT_DIR,
  RUN_FILE,
  type RunInfo,
  TRACE_FILE,
} from "./run_info.ts";

/** Options of {@linkcode recordRun}. */
export interface RecordRunOptions {
  /** Where runs are kept. Default: `.asyncflow/runs` in the current directory. */
  dir?: string;
  /** How many runs to keep there, this one included; older finished runs are removed. Default 50. */
  keep?: number;
  /** The command line to record. Default: this process's arguments. */
  argv?: string[];
  /** The workflow, for the summary. */
  workflow?: RunInfo["workflow"];
}

/** A run directory being written: give it to `WorkflowEngine.create({ record })`. */
export interface RunRecord extends RunRecorder {
  /** The run's id. */
  readonly id: string;
  /** The run's directory. */
  readonly dir: string;
  /** The trace file. */
  readonly tracePath: string;
  /** Why writing the trace stopped early (a full disk, say), if it did. */
  readonly traceFailure: string | undefined;
  /**
   * What the engine cannot know, told before it shuts down: that the run was interrupted, or
   * failed because the workflow threw. Otherwise the status follows from the counts.
   */
  end(outcome: { status: "failed" | "interrupted"; error?: string }): void;
  /** The leaf tasks' results so far. */
  leaves(): RunInfo["leaves"];
}

/**
 * Starts a run directory, `<dir>/<run-id>/`, and removes the oldest finished runs beyond `keep`.
 * The engine it is given to writes every event to its trace and completes `run.json` when it
 * shuts down.
 *
 * @param options Where, how many to keep, and what to say about the run.
 * @returns The recorder, for `WorkflowEngine.create({ record })`.
 * @throws {TypeError} When `keep` is not a positive integer.
 * @throws {Error} When the directory cannot be created (naming it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readFileSync, rmSync } from "node:fs";
 * import { WorkflowEngine } from "@asyncflow/asyncflow";
 * import { recordRun } from "@asyncflow/asyncflow/cli";
 * const record = recordRun({ dir: ".out/doc-runs", workflow: { name: "demo" } });
 * const flow = await WorkflowEngine.create({ record });
 * await flow.executableTask(() => ["echo", "hi"])();
 * await flow.shutdown();
 * const info = JSON.parse(readFileSync(`${record.dir}/run.json`, "utf8"));
 * assert.equal(info.status, "succeeded");
 * assert.equal(readFileSync(`${record.dir}/tasks/task.000001.stdout`, "utf8"), "hi\n");
 * rmSync(".out/doc-runs", { recursive: true });
 * ```
 */
export function recordRun(options: RecordRunOptions = {}): RunRecord {
  const keep = positiveInteger(options.keep ?? DEFAULT_KEEP, "keep", "recordRun");
  const root = resolve(options.dir ?? DEFAULT_RUNS_DIR);
  const id = newRunId();
  const dir = join(root, id);
  try {
    mkdirSync(join(dir, OUTPUT_DIR), { recursive: true });
  } catch (error) {
    const why = (error as { code?: string }).code ?? String(error);
    throw new Error(
      `Cannot create the run directory '${dir}' (${why}): choose another with --runs-dir, ` +
        `or run with --no-record`,
      { cause: error },
    );
  }
  pruneRuns(root, keep, id);
  const trace = new TraceWriter(join(dir, TRACE_FILE));
  const leaves = new LeafResults();
  const info: RunInfo = {
    id,
    status: "running",
    argv: options.argv ?? process.argv.slice(2),
    cwd: process.cwd(),
    host: hostname(),
    pid: process.pid,
    engineUid: "",
    ...(options.workflow ? { workflow: options.workflow } : {}),
    startedAt: Date.now(),
    counts: { created: 0, done: 0, failed: 0, cancelled: 0, retried: 0 },
  };
  writeInfo(dir, info);
  let told: { status: "failed" | "interrupted"; error?: string } | undefined;
  return {
    id,
    dir,
    tracePath: trace.path,
    get traceFailure() {
      return trace.failure;
    },
    outputDir: join(dir, OUTPUT_DIR),
    onEvent: (event: TaskEvent) => {
      trace.write(event);
      leaves.onEvent(event);
    },
    end(outcome) {
      told = outcome;
    },
    leaves: () => leaves.results(),
    close(end: { uid: string; stats: EngineStats }): Promise<void> {
      trace.close();
      const { created, done, failed, cancelled, retried } = end.stats;
      info.engineUid = end.uid;
      info.counts = { created, done, failed, cancelled, retried };
      info.endedAt = Date.now();
      info.status = told?.status ?? (failed + cancelled > 0 ? "failed" : "succeeded");
      if (told?.error !== undefined) info.error = told.error;
      const results = leaves.results();
      if (results.length > 0) info.leaves = results;
      writeInfo(dir, info);
      return Promise.resolve();
    },
  };
}

/** A new run id: the UTC time, sortable as text, and four random hex digits. */
function newRunId(): string {
  const t = new Date().toISOString(); // 2026-12-01T12:34:56.789Z
  const stamp = `${t.slice(0, 10).replaceAll("-", "")}-${t.slice(11, 19).replaceAll(":", "")}`;
  const random = crypto.getRandomValues(new Uint8Array(2));
  return `${stamp}-${[...random].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** Writes `run.json` whole or not at all: a reader never sees half of it. */
function writeInfo(dir: string, info: RunInfo): void {
  const path = join(dir, RUN_FILE);
  writeFileSync(`${path}.tmp`, JSON.stringify(info, null, 2) + "\n");
  renameSync(`${path}.tmp`, path);
}
