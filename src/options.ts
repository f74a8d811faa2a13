import type { TaskFuture } from "./task_future.ts";

/**
 * What a task needs from the machine. Backends that place work (the worker
 * pool, the pilot agent) honour it; the in-process backend ignores it.
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
 * When and how a failed task is run again.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type RetryPolicy, WorkflowEngine } from "@asyncflow/asyncflow";
 * await using flow = await WorkflowEngine.create();
 * const policy: RetryPolicy = { attempts: 3, backoffMs: 1, retryOn: (e) => !(e instanceof TypeError) };
 * let calls = 0;
 * const flaky = flow.functionTask(() => {
 *   if (++calls < 3) throw new Error("busy");
 *   return calls;
 * }, { retries: policy });
 * assert.equal(await flaky(), 3);
 * ```
 */
export interface RetryPolicy {
  /** Extra attempts after the first one. */
  attempts: number;
  /** Delay before the first retry, in ms. Default 0. */
  backoffMs?: number;
  /** Multiplier applied to the delay after each retry. Default 2. */
  factor?: number;
  /** Upper bound of the delay, in ms. Default 30 000. */
  maxBackoffMs?: number;
  /** Which errors are worth a retry. Default: every error except cancellation and dependency failure. */
  retryOn?: (error: unknown, attempt: number) => boolean;
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
 * const opts: TaskOptions = { retries: 2, timeout: 5_000, priority: 10, name: "urgent" };
 * const f = flow.functionTask(() => 1, opts)();
 * assert.deepEqual([f.name, await f], ["urgent", 1]);
 * ```
 */
export interface TaskOptions {
  /** The name shown in events, errors and reports. Default: the function's name. */
  name?: string;
  /** A retry count, or a full policy. Default: no retry. */
  retries?: number | RetryPolicy;
  /** Run-time limit of one attempt, in ms, counted from the moment the task starts running. */
  timeout?: number;
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
 * assert.equal(await show(), "/ 1\n");
 * ```
 */
export interface ExecutableOptions extends TaskOptions {
  /** Working directory of the process. Default: the engine process's. */
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

/** Options as the engine keeps them: validated and merged. */
export type MergedOptions = ExecutableTaskOptions;

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
  "retries",
  "timeout",
  "priority",
  "backend",
  "resources",
  "workflowId",
  "after",
  "signal",
  "cwd",
  "env",
  "captureOutput",
  "result",
]);

/**
 * Checks options given by a user and says exactly what is wrong.
 *
 * @throws {TypeError} On an unknown key or a value of the wrong type or range.
 */
export function validateOptions(options: unknown, where: string): MergedOptions {
  if (options === undefined) return {};
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError(`${where}: options must be an object, got ${describe(options)}`);
  }
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!KNOWN_KEYS.has(key)) {
      throw new TypeError(
        `${where}: unknown option '${key}' (known: ${[...KNOWN_KEYS].join(", ")})`,
      );
    }
  }
  checkType(o, "name", "string", where);
  checkType(o, "backend", "string", where);
  checkType(o, "workflowId", "string", where);
  checkType(o, "cwd", "string", where);
  checkType(o, "captureOutput", "boolean", where);
  if (o.timeout !== undefined && !(typeof o.timeout === "number" && o.timeout > 0)) {
    throw new TypeError(
      `${where}: 'timeout' must be a positive number of ms, got ${describe(o.timeout)}`,
    );
  }
  if (o.priority !== undefined && !Number.isFinite(o.priority)) {
    throw new TypeError(
      `${where}: 'priority' must be a finite number, got ${describe(o.priority)}`,
    );
  }
  if (o.retries !== undefined) validateRetries(o.retries, where);
  if (o.after !== undefined && !Array.isArray(o.after)) {
    throw new TypeError(`${where}: 'after' must be an array of futures, got ${describe(o.after)}`);
  }
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) {
    throw new TypeError(`${where}: 'signal' must be an AbortSignal, got ${describe(o.signal)}`);
  }
  if (o.env !== undefined) {
    if (o.env === null || typeof o.env !== "object") {
      throw new TypeError(`${where}: 'env' must be an object of strings, got ${describe(o.env)}`);
    }
    for (const [k, v] of Object.entries(o.env)) {
      if (typeof v !== "string") {
        throw new TypeError(`${where}: env variable '${k}' must be a string, got ${describe(v)}`);
      }
    }
  }
  if (o.resources !== undefined) validateResources(o.resources, where);
  if (o.result !== undefined && o.result !== "stdout" && o.result !== "output") {
    throw new TypeError(
      `${where}: 'result' must be "stdout" or "output", got ${describe(o.result)}`,
    );
  }
  if (o.result === "output" && o.captureOutput) {
    throw new TypeError(
      `${where}: 'result: "output"' keeps both streams in memory; 'captureOutput' writes them to files: choose one`,
    );
  }
  return o as MergedOptions;
}

function validateRetries(retries: unknown, where: string): void {
  if (typeof retries === "number") {
    if (!Number.isInteger(retries) || retries < 0) {
      throw new TypeError(`${where}: 'retries' must be a non-negative integer, got ${retries}`);
    }
    return;
  }
  if (retries === null || typeof retries !== "object") {
    throw new TypeError(
      `${where}: 'retries' must be a number or a policy object, got ${describe(retries)}`,
    );
  }
  const p = retries as Record<string, unknown>;
  if (!Number.isInteger(p.attempts) || (p.attempts as number) < 0) {
    throw new TypeError(
      `${where}: 'retries.attempts' must be a non-negative integer, got ${describe(p.attempts)}`,
    );
  }
  for (const key of ["backoffMs", "factor", "maxBackoffMs"]) {
    const v = p[key];
    if (v !== undefined && !(typeof v === "number" && v >= 0)) {
      throw new TypeError(
        `${where}: 'retries.${key}' must be a non-negative number, got ${describe(v)}`,
      );
    }
  }
  if (p.retryOn !== undefined && typeof p.retryOn !== "function") {
    throw new TypeError(
      `${where}: 'retries.retryOn' must be a function, got ${describe(p.retryOn)}`,
    );
  }
}

function validateResources(resources: unknown, where: string): void {
  if (resources === null || typeof resources !== "object") {
    throw new TypeError(`${where}: 'resources' must be an object, got ${describe(resources)}`);
  }
  for (const [key, v] of Object.entries(resources)) {
    if (!["ranks", "coresPerRank", "gpusPerRank", "memoryMb", "walltimeMs"].includes(key)) {
      throw new TypeError(
        `${where}: unknown resource '${key}' (known: ranks, coresPerRank, gpusPerRank, memoryMb, walltimeMs)`,
      );
    }
    const min = key === "gpusPerRank" ? 0 : 1;
    if (!(typeof v === "number" && Number.isInteger(v) && v >= min)) {
      throw new TypeError(
        `${where}: resource '${key}' must be an integer >= ${min}, got ${describe(v)}`,
      );
    }
  }
}

function checkType(o: Record<string, unknown>, key: string, type: string, where: string): void {
  if (o[key] !== undefined && typeof o[key] !== type) {
    throw new TypeError(`${where}: '${key}' must be a ${type}, got ${describe(o[key])}`);
  }
}

/** Describes a value for an error message: its type and a short rendering. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === "string") return `the string ${JSON.stringify(value.slice(0, 60))}`;
  if (typeof value === "object") return `an object (${value.constructor?.name ?? "no prototype"})`;
  return `${typeof value} ${String(value)}`;
}
