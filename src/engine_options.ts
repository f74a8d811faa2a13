import type { Backend } from "./backend.ts";
import { host } from "./host/mod.ts";
import { LocalBackend } from "./local_backend.ts";
import { NoopBackend } from "./noop_backend.ts";
import { randomHex } from "./random_hex.ts";
import type { RunRecorder } from "./run_recorder.ts";
import type { FileRecord } from "./declared_files.ts";
import { invalid, optionalOfType, plainObject } from "./validate.ts";

/**
 * Options of {@linkcode WorkflowEngine.create}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LocalBackend, type EngineOptions } from "@asyncflow/asyncflow";
 * import { WorkflowEngine } from "@asyncflow/asyncflow";
 * const options: EngineOptions = { backend: new LocalBackend({ processes: 2 }), uid: "run-1" };
 * await using flow = await WorkflowEngine.create(options);
 * assert.deepEqual([flow.uid, flow.backendNames], ["run-1", ["default"]]);
 * ```
 */
export interface EngineOptions {
  /** The default backend. Default: a `LocalBackend`. */
  backend?: Backend;
  /** More backends, routed to by name; without `backend`, the first is the default. */
  backends?: readonly Backend[];
  /** Replace every backend by a `NoopBackend` of the same name: check wiring, run nothing. */
  dryRun?: boolean;
  /** The engine's id, used in directory names and traces. Default: `asyncflow.<random>`. */
  uid?: string;
  /** Where the engine's directory (`{workDir}/{uid}`) is created when needed. Default: the current directory. */
  workDir?: string;
  /**
   * Results of an earlier run, by memo key (from the `memoKey`/`result` of its
   * `done` events): a task whose key is here completes at once with that result
   * instead of running again. Blocks always run; their tasks are looked up.
   */
  resume?: ReadonlyMap<string, unknown>;
  /**
   * With `resume`: the fingerprints of the declared files of the tasks recorded as done, by memo
   * key (the `memoKey`/`files` of their `done` events). A task that declared files is taken as
   * done only when its outputs are there and unchanged and its inputs unchanged (docs/files.md);
   * without its fingerprints here, it runs again.
   */
  resumeFiles?: ReadonlyMap<string, FileRecord>;
  /**
   * With `resume`: tasks to run again although recorded as done, by name (`generate[3]`) or by
   * template (`generate`: all its calls).
   */
  force?: readonly string[];
  /** Put `memoKey` and the full `result` on every task's `done` event, so a trace can be resumed from. */
  recordResults?: boolean;
  /**
   * Keep a record of the run: every event goes to the recorder, which completes the record at
   * `shutdown()`; commands' outputs are kept in its `outputDir`; results are recorded. Default:
   * none — a program using the engine writes no files unless it asks (`recordRun()` of
   * `@asyncflow/asyncflow/runs` gives a run directory); `asyncflow run` records by default.
   */
  record?: RunRecorder;
}

/**
 * Checks the options of `WorkflowEngine.create` and applies their defaults.
 *
 * @returns The backends (a `LocalBackend` when none is given; no-op ones in a
 *   dry run), the engine's uid and its work directory.
 * @throws {TypeError} On options that are not an object, a non-backend, a bad uid or `resume`.
 */
export function resolveEngineOptions(
  options: EngineOptions,
): { backends: Backend[]; uid: string; workDir: string } {
  const where = "WorkflowEngine.create";
  plainObject(options, "options", where);
  const given = [...(options.backend ? [options.backend] : []), ...(options.backends ?? [])];
  for (const b of given) {
    if (!b || typeof b.submit !== "function" || typeof b.name !== "string") {
      throw invalid(where, "backend", "a Backend (name, attach, submit, cancel, shutdown)", b);
    }
  }
  optionalOfType(options.dryRun, "boolean", "dryRun", where);
  optionalOfType(options.recordResults, "boolean", "recordResults", where);
  optionalOfType(options.workDir, "string", "workDir", where);
  const dryRun = options.dryRun ?? false;
  let backends = given.length > 0 ? given : [new LocalBackend()];
  if (dryRun) backends = backends.map((b) => new NoopBackend({ name: b.name }));
  const uid = options.uid ?? `asyncflow.${randomHex(8)}`;
  if (typeof uid !== "string" || !/^[\w.-]{1,128}$/.test(uid)) {
    throw invalid(where, "uid", "1-128 letters, digits, '.', '_' or '-'", uid);
  }
  const workDir = options.workDir ?? host.cwd();
  if (options.resume !== undefined && !(options.resume instanceof Map)) {
    throw invalid(where, "resume", "a Map of memo key to result", options.resume);
  }
  if (options.resumeFiles !== undefined && !(options.resumeFiles instanceof Map)) {
    throw invalid(where, "resumeFiles", "a Map of memo key to recorded files", options.resumeFiles);
  }
  const force = options.force;
  if (force !== undefined && (!Array.isArray(force) || force.some((f) => typeof f !== "string"))) {
    throw invalid(where, "force", "an array of task names or templates", force);
  }
  const record = options.record;
  if (
    record !== undefined &&
    (record === null || typeof record.onEvent !== "function" || typeof record.close !== "function")
  ) {
    throw invalid(where, "record", "a RunRecorder (onEvent, close)", record);
  }
  return { backends, uid, workDir };
}
