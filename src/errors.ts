/**
 * Errors raised by asyncflow. Each names what went wrong and carries the data
 * a program needs to react (uids, exit codes, the original error).
 *
 * @module
 */

/** Identifies a task or block in error reports. */
export interface TaskRef {
  /** The engine-unique id, e.g. `task.000042`. */
  uid: string;
  /** The function's name, or the name given in the options. */
  name: string;
}

/**
 * A task did not run because one of its dependencies failed.
 *
 * `rootCause` is the first error in the chain that is not itself a
 * `DependencyFailureError`: in A → B → C where A fails, C's `rootCause` is A's
 * error and C's `cause` is B's `DependencyFailureError`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DependencyFailureError } from "@asyncflow/asyncflow";
 * const root = new Error("disk full");
 * const err = new DependencyFailureError({ uid: "task.000002", name: "b" },
 *   [{ uid: "task.000001", name: "a" }], root);
 * assert.ok(err.rootCause === root && err.cause === root);
 * ```
 */
export class DependencyFailureError extends Error {
  /** Always `"DependencyFailureError"`. */
  override name = "DependencyFailureError";
  /** The dependencies that had failed when this task was given up. */
  readonly failedDependencies: readonly TaskRef[];
  /** The original error at the start of the failure chain. */
  readonly rootCause: unknown;

  /**
   * Creates the error.
   *
   * @param task The task that could not run.
   * @param failed The dependencies that failed.
   * @param cause The error of the first failed dependency.
   */
  constructor(task: TaskRef, failed: readonly TaskRef[], cause: unknown) {
    const names = failed.map((d) => `'${d.name}' (${d.uid})`).join(", ");
    super(`Cannot run '${task.name}' (${task.uid}): dependency ${names} failed`, { cause });
    // Plain copies: the error must not keep engine records or futures alive.
    this.failedDependencies = failed.map((d) => ({ uid: d.uid, name: d.name }));
    this.rootCause = cause instanceof DependencyFailureError ? cause.rootCause : cause;
  }
}

/**
 * A task or block was cancelled: by `future.cancel()`, an `AbortSignal`, the
 * cancellation of a dependency or of its enclosing block, or engine shutdown.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CancelledError } from "@asyncflow/asyncflow";
 * const err = new CancelledError("task.000001", "user asked", "simulate");
 * assert.equal(err.message, "'simulate' (task.000001) was cancelled: user asked");
 * ```
 */
export class CancelledError extends Error {
  /** Always `"CancelledError"`. */
  override name = "CancelledError";
  /** The uid of the cancelled task. */
  readonly uid: string;
  /** The cancelled task's name, when known. */
  readonly taskName: string | undefined;
  /** Why it was cancelled, as given to `cancel(reason)`. */
  readonly reason: unknown;

  /**
   * Creates the error.
   *
   * @param uid The cancelled task's uid.
   * @param reason Why; a string or an error.
   * @param taskName The task's name, for the message (`'hung' (task.000024) was cancelled`).
   */
  constructor(uid: string, reason?: unknown, taskName?: string) {
    const why = reason === undefined
      ? ""
      : `: ${reason instanceof Error ? reason.message : String(reason)}`;
    super(
      `${taskLabel(uid, taskName)} was cancelled${why}`,
      reason instanceof Error ? { cause: reason } : {},
    );
    this.uid = uid;
    this.taskName = taskName;
    this.reason = reason;
  }
}

/**
 * A task ran longer than its `timeout`. Retries treat it like any failure.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TimeoutError } from "@asyncflow/asyncflow";
 * const err = new TimeoutError("task.000001", 50, "hung");
 * assert.equal(err.timeoutMs, 50);
 * assert.equal(err.message, "'hung' (task.000001) timed out after 50 ms");
 * const again = new TimeoutError("task.000001", 50, "hung", 2);
 * assert.equal(again.message, "'hung' (task.000001) timed out after 50 ms (attempt 2)");
 * ```
 */
export class TimeoutError extends Error {
  /** Always `"TimeoutError"`. */
  override name = "TimeoutError";
  /** The uid of the task that timed out. */
  readonly uid: string;
  /** The task's name, when known. */
  readonly taskName: string | undefined;
  /** The limit that was exceeded, in milliseconds. */
  readonly timeoutMs: number;
  /** The attempt that timed out, 1 for the first run (as in events and `taskContext()`), when known. */
  readonly attempt: number | undefined;

  /**
   * Creates the error.
   *
   * @param uid The task's uid.
   * @param timeoutMs The limit, in milliseconds.
   * @param taskName The task's name, for the message (`'hung' (task.000024) timed out after 500 ms`).
   * @param attempt The attempt that timed out; a re-run's is in the message (`(attempt 2)`).
   */
  constructor(uid: string, timeoutMs: number, taskName?: string, attempt?: number) {
    const which = attempt !== undefined && attempt > 1 ? ` (attempt ${attempt})` : "";
    super(`${taskLabel(uid, taskName)} timed out after ${timeoutMs} ms${which}`);
    this.uid = uid;
    this.taskName = taskName;
    this.timeoutMs = timeoutMs;
    this.attempt = attempt;
  }
}

/** `'name' (uid)` when the name is known, else `Task uid`: how messages name a task. */
function taskLabel(uid: string, name: string | undefined): string {
  return name === undefined ? `Task ${uid}` : `'${name}' (${uid})`;
}

/**
 * A command exited with a non-zero code or was ended by a signal.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ExecutableError } from "@asyncflow/asyncflow";
 * const err = new ExecutableError(["false"], { exitCode: 1, signal: null, stdout: "", stderr: "" });
 * assert.ok(err.exitCode === 1);
 * ```
 */
export class ExecutableError extends Error {
  /** Always `"ExecutableError"`. */
  override name = "ExecutableError";
  /** The exit code, or `null` when a signal ended the process. */
  readonly exitCode: number | null;
  /** The signal that ended the process (e.g. `"SIGKILL"`), or `null`. */
  readonly signal: string | null;
  /** What the command wrote to standard output (or the file it was captured to). */
  readonly stdout: string;
  /** What the command wrote to standard error (or the file it was captured to). */
  readonly stderr: string;

  /**
   * Creates the error.
   *
   * @param command The command as run (a shell string or an argv array).
   * @param outcome How it ended and what it printed.
   */
  constructor(
    command: string | readonly string[],
    outcome: { exitCode: number | null; signal: string | null; stdout: string; stderr: string },
  ) {
    const shown = typeof command === "string" ? command : command.join(" ");
    const how = outcome.signal
      ? `was killed by ${outcome.signal}`
      : `exited with code ${outcome.exitCode}`;
    const tail = outcome.stderr.trim().split("\n").slice(-5).join("\n");
    super(`Command '${shown}' ${how}${tail ? `\n${tail}` : ""}`);
    this.exitCode = outcome.exitCode;
    this.signal = outcome.signal;
    this.stdout = outcome.stdout;
    this.stderr = outcome.stderr;
  }
}

/**
 * A task succeeded but one of the files it declared in `outputs` is not there. The task fails (its
 * retry policy applies) and its dependents do not run.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MissingOutputError } from "@asyncflow/asyncflow";
 * const err = new MissingOutputError({ uid: "task.000003", name: "process[3]" }, ["out/p3.dat"], "/work");
 * assert.deepEqual(err.paths, ["out/p3.dat"]);
 * assert.match(err.message, /^'process\[3\]' \(task\.000003\) succeeded but did not write out\/p3\.dat/);
 * ```
 */
export class MissingOutputError extends Error {
  /** Always `"MissingOutputError"`. */
  override name = "MissingOutputError";
  /** The uid of the task. */
  readonly uid: string;
  /** The task's name. */
  readonly taskName: string;
  /** The declared outputs that are missing, as declared. */
  readonly paths: readonly string[];

  /**
   * Creates the error.
   *
   * @param task The task that succeeded.
   * @param paths The declared outputs that are missing, as declared.
   * @param base The directory relative paths were looked for in.
   */
  constructor(task: TaskRef, paths: readonly string[], base: string) {
    const list = paths.join(", ");
    super(
      `${taskLabel(task.uid, task.name)} succeeded but did not write ${list} ` +
        `(declared in its 'outputs', looked for in ${base}): make the task write ` +
        `${paths.length === 1 ? "it" : "them"} there, or correct 'outputs'`,
    );
    this.uid = task.uid;
    this.taskName = task.name;
    this.paths = paths;
  }
}

/**
 * The engine was shut down: no task can be created or run any more.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EngineClosedError } from "@asyncflow/asyncflow";
 * assert.ok(new EngineClosedError("e1").message.includes("shut down"));
 * ```
 */
export class EngineClosedError extends Error {
  /** Always `"EngineClosedError"`. */
  override name = "EngineClosedError";
  /**
   * Creates the error.
   *
   * @param engineUid The uid of the engine that was shut down.
   */
  constructor(engineUid: string) {
    super(`WorkflowEngine ${engineUid} has been shut down; create a new engine to run more tasks`);
  }
}
