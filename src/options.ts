import { checkFileDeclaration, type FileDeclaration } from "./declared_files.ts";
import { deprecated } from "./deprecated.ts";
import { type Duration, parseDuration } from "./duration.ts";
import type { TaskFuture } from "./task_future.ts";
import {
  describe,
  finiteNumber,
  integerAtLeast,
  invalid,
  knownKeys,
  oneOf,
  optionalOfType,
  plainObject,
  stringRecord,
} from "./validate.ts";

/**
 * What a command needs from the machine: the `LocalBackend` counts its
 * `ranks × coresPerRank` cores and `ranks × gpusPerRank` GPUs against the
 * machine's, as the pilot agent does against its allocation's nodes.
 * `memoryMb` is for backends that place by memory (the batch system).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type Resources, WorkflowEngine } from "@asyncflow/asyncflow";
 * await using flow = await WorkflowEngine.create();
 * const mpi: Resources = { ranks: 8, coresPerRank: 2 };
 * const solve = flow.executableTask(() => ["./solve"], { resources: mpi });
 * assert.deepEqual(solve.with({ resources: { ranks: 4 } }).options.resources, { ranks: 4, coresPerRank: 2 });
 * ```
 */
export interface Resources {
  /** Processes to start (MPI ranks). Default 1. */
  ranks?: number;
  /** Cores each rank needs. Default 1. */
  coresPerRank?: number;
  /** GPUs each rank needs. Default 0. */
  gpusPerRank?: number;
  /** Memory the whole task needs, in MiB. */
  memoryMb?: number;
  /**
   * How long the task is expected to run, in ms: a pilot agent refuses to start it when its
   * allocation ends sooner. Not a timeout (`timeout` kills; this only declares).
   */
  walltimeMs?: number;
}

/**
 * When and how a failed task is run again. `retries` counts re-runs: a task
 * runs at most `max + 1` times, its attempts numbered 1 (the first run) to
 * `max + 1` in events, `taskContext().attempt` and `retryOn`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type RetryPolicy, WorkflowEngine } from "@asyncflow/asyncflow";
 * await using flow = await WorkflowEngine.create();
 * const policy: RetryPolicy = { max: 2, backoff: "1ms", retryOn: (e) => !(e instanceof TypeError) };
 * let calls = 0;
 * const flaky = flow.functionTask(() => {
 *   if (++calls < 3) throw new Error("busy");
 *   return calls;
 * }, { retries: policy });
 * assert.equal(await flaky(), 3); // the first run and two re-runs
 * ```
 */
export interface RetryPolicy {
  /** Re-runs after the first run: the task runs at most `max + 1` times. */
  max?: number;
  /** Delay before the first re-run (ms, or a string such as `"2s"`). Default 0. */
  backoff?: Duration;
  /** Multiplier applied to the delay after each re-run, at least 1. Default 2. */
  factor?: number;
  /** Upper bound of the delay (ms, or a string such as `"1m"`). Default `"30s"`. */
  maxBackoff?: Duration;
  /**
   * Which errors are worth a re-run; `attempt` is the number of the attempt that
   * failed (1 for the first run). Default: every error except cancellation and
   * dependency failure.
   */
  retryOn?: (error: unknown, attempt: number) => boolean;
  /** @deprecated Write `max`: it counts the same re-runs. */
  attempts?: number;
  /** @deprecated Write `backoff`. */
  backoffMs?: number;
  /** @deprecated Write `maxBackoff`. */
  maxBackoffMs?: number;
}

/**
 * Options of any task or block, given at definition (`flow.functionTask(fn, options)`)
 * and at call time (`task.with(options)(...args)`); call time wins, key by key
 * inside `resources` and `env`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type TaskOptions, WorkflowEngine } from "@asyncflow/asyncflow";
 * await using flow = await WorkflowEngine.create();
 * const opts: TaskOptions = { retries: 2, timeout: "5s", priority: 10, name: "urgent" };
 * const f = flow.functionTask(() => 1, opts)();
 * assert.deepEqual([f.name, await f], ["urgent", 1]);
 * ```
 */
export interface TaskOptions {
  /**
   * The name shown in events, errors and reports, under the calling block's
   * (`block/name`). Default: the function's name, else where it was defined (`file.ts:12`).
   */
  name?: string;
  /**
   * What tells this call apart from the other calls of the same task, shown as `name[key]`
   * (`point.with({ key: 3 })` gives `point[3]`). Default: none for tasks; a block's primitive
   * arguments (strings, numbers, booleans), unless `.with({ name })` named the call.
   */
  key?: string | number;
  /**
   * How many times a failed task is run again — it runs at most `retries + 1`
   * times — or a full policy. Default 0: no re-run.
   */
  retries?: number | RetryPolicy;
  /**
   * Run-time limit of one attempt (ms, or a string such as `"30s"`, `"1h30m"`),
   * counted from the moment the task starts running.
   */
  timeout?: Duration;
  /** Higher runs first when tasks wait for a backend slot. Default 0. */
  priority?: number;
  /** The name of the backend that runs the task. Default: the engine's first backend. */
  backend?: string;
  /** What the task needs from the machine. */
  resources?: Resources;
  /** Tags the task with a workflow id. Default: the enclosing scope's or block's. */
  workflowId?: string;
  /** Futures this task waits for without receiving their values. */
  after?: readonly TaskFuture<unknown>[];
  /** Cancels the task when aborted. */
  signal?: AbortSignal;
  /**
   * The files the task reads: paths, or a function of the call's arguments returning them
   * (see docs/files.md). A file another task declared in `outputs` makes that task a
   * dependency; on a resumed run, a changed input makes the task run again. Not for blocks.
   */
  inputs?: FileDeclaration;
  /**
   * The files the task writes, declared as `inputs` are: each must exist once the task
   * succeeded (else it fails with a `MissingOutputError`); tasks that read one wait for this
   * task; on a resumed run, a missing or changed output makes the task run again. Not for blocks.
   */
  outputs?: FileDeclaration;
}

/**
 * Options of an executable task: everything in {@linkcode TaskOptions} plus how
 * the process is started.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type ExecutableOptions, WorkflowEngine } from "@asyncflow/asyncflow";
 * await using flow = await WorkflowEngine.create();
 * const opts: ExecutableOptions = { cwd: "/", env: { OMP_NUM_THREADS: "1" } };
 * const show = flow.executableTask(() => 'echo "$PWD $OMP_NUM_THREADS"', opts);
 * assert.equal(await show(), "/ 1");
 * ```
 */
export interface ExecutableOptions extends TaskOptions {
  /**
   * Working directory of the process; a relative one is relative to its
   * backend's directory: the `LocalBackend`'s (default: the directory the
   * process was in when the backend was made), the agent's (the directory it
   * was started in). Default: that directory itself. See docs/rules.md.
   */
  cwd?: string;
  /** Variables added to (or overriding) the inherited environment. */
  env?: Record<string, string>;
  /**
   * Write stdout and stderr to `{workDir}/{engineUid}/{taskUid}.stdout|.stderr`
   * and resolve to the stdout file's path instead of its text. Default `false`.
   */
  captureOutput?: boolean;
}

/**
 * What a successful command printed, when its task was defined with
 * `result: "output"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type CommandOutput, WorkflowEngine } from "@asyncflow/asyncflow";
 * await using flow = await WorkflowEngine.create();
 * const build = flow.executableTask(() => "echo built; echo 'warning: old' >&2", { result: "output" });
 * const out: CommandOutput = await build();
 * assert.deepEqual(out, { stdout: "built\n", stderr: "warning: old\n" });
 * ```
 */
export interface CommandOutput {
  /** Its standard output. */
  stdout: string;
  /** Its standard error. */
  stderr: string;
}

/**
 * Options of `flow.executableTask`: those of {@linkcode ExecutableOptions},
 * plus what the task resolves to, which only a definition can say (it sets
 * the future's type).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type ExecutableTaskOptions, WorkflowEngine } from "@asyncflow/asyncflow";
 * await using flow = await WorkflowEngine.create();
 * const opts = { result: "output", cwd: "/" } as const satisfies ExecutableTaskOptions;
 * const where = flow.executableTask(() => "pwd; echo note >&2", opts);
 * assert.deepEqual(await where(), { stdout: "/\n", stderr: "note\n" });
 * ```
 */
export interface ExecutableTaskOptions extends ExecutableOptions {
  /**
   * `"stdout"` (the default): the future resolves to the command's stdout, as
   * a string. `"output"`: to a {@linkcode CommandOutput}, stdout and stderr.
   * Cannot be combined with `captureOutput`.
   */
  result?: "stdout" | "output";
}

/** Options as the engine keeps them: validated and merged, durations in ms. */
export type MergedOptions = Omit<ExecutableTaskOptions, "timeout" | "retries"> & {
  /** In ms. */
  timeout?: number;
  /** A count, or a policy spelt `max`/`backoff`/`maxBackoff`, durations in ms. */
  retries?: number | RetryPolicy;
};

/**
 * Call-time options over definition-time ones: each option given wins, and
 * inside `resources` and `env` each key given wins, the others are kept.
 * Neither input is changed.
 */
export function mergeOptions(base: MergedOptions, extra: MergedOptions): MergedOptions {
  const merged = { ...base, ...extra };
  if (base.resources !== undefined && extra.resources !== undefined) {
    merged.resources = { ...base.resources, ...extra.resources };
  }
  if (base.env !== undefined && extra.env !== undefined) merged.env = { ...base.env, ...extra.env };
  return merged;
}

const KNOWN_KEYS = new Set([
  "name",
  "key",
  "retries",
  "timeout",
  "priority",
  "backend",
  "resources",
  "workflowId",
  "after",
  "signal",
  "inputs",
  "outputs",
  "cwd",
  "env",
  "captureOutput",
  "result",
]);
const RESOURCE_KEYS = ["ranks", "coresPerRank", "gpusPerRank", "memoryMb", "walltimeMs"];
const POLICY_KEYS = [
  "max",
  "backoff",
  "factor",
  "maxBackoff",
  "retryOn",
  "attempts",
  "backoffMs",
  "maxBackoffMs",
];

/**
 * Checks options given by a user and says exactly what is wrong. Durations
 * come back in milliseconds and a retry policy in its current spelling (an
 * old one is taken with a deprecation notice); the input is not changed.
 *
 * @throws {TypeError} On an unknown key or a value of the wrong type or range.
 */
export function validateOptions(options: unknown, where: string): MergedOptions {
  if (options === undefined) return {};
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError(`${where}: options must be an object, got ${describe(options)}`);
  }
  const o = options as Record<string, unknown>;
  knownKeys(o, KNOWN_KEYS, "option", where);
  optionalOfType(o.name, "string", "name", where);
  if (o.key !== undefined && typeof o.key !== "string" && !Number.isFinite(o.key)) {
    throw invalid(where, "key", "a string or a finite number", o.key);
  }
  optionalOfType(o.backend, "string", "backend", where);
  optionalOfType(o.workflowId, "string", "workflowId", where);
  optionalOfType(o.cwd, "string", "cwd", where);
  optionalOfType(o.captureOutput, "boolean", "captureOutput", where);
  if (o.priority !== undefined) finiteNumber(o.priority, "priority", where);
  if (o.after !== undefined && !Array.isArray(o.after)) {
    throw invalid(where, "after", "an array of futures", o.after);
  }
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) {
    throw invalid(where, "signal", "an AbortSignal", o.signal);
  }
  if (o.env !== undefined) stringRecord(o.env, "env", where);
  if (o.inputs !== undefined) checkFileDeclaration(o.inputs, "inputs", where);
  if (o.outputs !== undefined) checkFileDeclaration(o.outputs, "outputs", where);
  if (o.resources !== undefined) {
    const r = plainObject(o.resources, "resources", where);
    knownKeys(r, RESOURCE_KEYS, "resource", where);
    for (const [key, v] of Object.entries(r)) {
      integerAtLeast(v, key === "gpusPerRank" ? 0 : 1, `resources.${key}`, where);
    }
  }
  if (o.result !== undefined) oneOf(o.result, ["stdout", "output"], "result", where);
  if (o.result === "output" && o.captureOutput) {
    throw new TypeError(
      `${where}: 'result: "output"' keeps both streams in memory; 'captureOutput' writes them to files: choose one`,
    );
  }
  const timeout = o.timeout === undefined ? undefined : parseDuration(o.timeout, "timeout", where);
  const retries = typeof o.retries === "object" && o.retries !== null
    ? retryPolicy(o.retries, where)
    : o.retries === undefined
    ? undefined
    : integerAtLeast(o.retries, 0, "retries", where);
  // Most options are already in the engine's spelling and pass through as given.
  if (timeout === o.timeout && retries === o.retries) return o as MergedOptions;
  const copy = { ...o } as MergedOptions;
  if (timeout !== undefined) copy.timeout = timeout;
  if (retries !== undefined) copy.retries = retries;
  return copy;
}

/** A policy in its current spelling, durations in ms; old keys work with a notice. */
function retryPolicy(retries: unknown, where: string): RetryPolicy {
  const p = plainObject(retries, "retries", where);
  knownKeys(p, POLICY_KEYS, "retry option", where);
  const renamed = (old: string, now: string, example: string) => {
    if (p[old] === undefined) return p[now];
    if (p[now] !== undefined) {
      throw new TypeError(
        `${where}: 'retries.${old}' and 'retries.${now}' say the same: give only '${now}'`,
      );
    }
    deprecated(
      `${where}: 'retries.${old}' is deprecated and will be removed: write 'retries.${now}' (${example})`,
    );
    return p[old];
  };
  const max = renamed(
    "attempts",
    "max",
    "it counts the same re-runs: { max: 3 } runs at most 4 times",
  );
  if (max === undefined) {
    throw new TypeError(
      `${where}: 'retries.max' is missing: the number of re-runs after the first run (retries: { max: 3 } runs at most 4 times)`,
    );
  }
  const policy: RetryPolicy = { max: integerAtLeast(max, 0, "retries.max", where) };
  const backoff = renamed("backoffMs", "backoff", 'a duration: 500 or "500ms"');
  if (backoff !== undefined) {
    policy.backoff = parseDuration(backoff, "retries.backoff", where, { zero: true });
  }
  if (p.factor !== undefined) policy.factor = finiteNumber(p.factor, "retries.factor", where, 1);
  const maxBackoff = renamed("maxBackoffMs", "maxBackoff", 'a duration: 30000 or "30s"');
  if (maxBackoff !== undefined) {
    policy.maxBackoff = parseDuration(maxBackoff, "retries.maxBackoff", where, { zero: true });
  }
  if (p.retryOn !== undefined) {
    optionalOfType(p.retryOn, "function", "retries.retryOn", where);
    policy.retryOn = p.retryOn as NonNullable<RetryPolicy["retryOn"]>;
  }
  return policy;
}

/** Kept here for the files that import it with the options; it lives in `./validate.ts`. */
export { describe };
