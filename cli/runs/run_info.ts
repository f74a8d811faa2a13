/**
 * What a run directory holds and where: `.asyncflow/runs/<run-id>/` with `run.json` (a
 * {@linkcode RunInfo}), `trace.jsonl` (every event, with each command's `ExecutionRecord`),
 * `tasks/` (each command's complete stdout and stderr) and `results/` (results too large for a
 * trace line).
 *
 * @module
 */

/** Where runs are kept, relative to the current directory, unless told otherwise. */
export const DEFAULT_RUNS_DIR = ".asyncflow/runs";
/** How many runs are kept: starting a run removes the oldest finished ones beyond this. */
export const DEFAULT_KEEP = 50;
/** The run's summary file, in its directory. */
export const RUN_FILE = "run.json";
/** The run's event trace, in its directory. */
export const TRACE_FILE = "trace.jsonl";
/** The directory of the commands' outputs, in the run's directory. */
export const OUTPUT_DIR = "tasks";
/** What a run id looks like: its UTC start time, then four random hex digits. */
export const RUN_ID = /^\d{8}-\d{6}-[0-9a-f]{4}$/;

/** How a run ended: `running` until it does (or when it died without saying). */
export type RunStatus = "running" | "succeeded" | "failed" | "interrupted";

/** A leaf task's result, as the run's summary keeps it. */
export interface LeafResult {
  /** The task's uid. */
  uid: string;
  /** Its name. */
  name: string;
  /** Its value's short rendering (at most 200 characters). */
  value: string;
}

/**
 * The summary of one run: `run.json` in its directory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { RunInfo } from "@asyncflow/asyncflow/cli";
 * const info: RunInfo = {
 *   id: "20261201-120000-ab12", status: "succeeded", argv: ["run", "w.yaml"], cwd: "/work",
 *   host: "vm", pid: 42, engineUid: "asyncflow.1", startedAt: 1, endedAt: 2,
 *   counts: { created: 1, done: 1, failed: 0, cancelled: 0, retried: 0 },
 * };
 * assert.equal(info.status, "succeeded");
 * ```
 */
export interface RunInfo {
  /** The run's id: its directory's name. */
  id: string;
  /** How it ended. */
  status: RunStatus;
  /** The command line that started it (after the program's name), or the program's argv. */
  argv: string[];
  /** The directory it was started in. */
  cwd: string;
  /** The machine it ran on. */
  host: string;
  /** The process that ran it. */
  pid: number;
  /** The engine's uid. */
  engineUid: string;
  /** The workflow, when known: its file, name and description. */
  workflow?: { file?: string; name?: string; description?: string };
  /** When it started, in ms since the epoch. */
  startedAt: number;
  /** When it ended. */
  endedAt?: number;
  /** Tasks and blocks by outcome. */
  counts: { created: number; done: number; failed: number; cancelled: number; retried: number };
  /** The results of the leaf tasks (top-level tasks nothing depends on), at most 20. */
  leaves?: LeafResult[];
  /** What stopped it: the workflow's error, or the signal. */
  error?: string;
}
