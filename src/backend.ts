import type { ExecutionRecord } from "./execution_record.ts";
import type { Resources } from "./options.ts";
import type { TaskFiles } from "./task_files.ts";
import type { TraceContext } from "./trace_context.ts";

/**
 * One unit of work handed to a backend: a function call or a command, with
 * its dependencies already resolved to values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type Backend, type BackendContext, type TaskSpec, WorkflowEngine } from "@asyncflow/asyncflow";
 * const seen: TaskSpec[] = [];
 * class Recorder implements Backend {
 *   readonly name = "recorder";
 *   #ctx?: BackendContext;
 *   attach(ctx: BackendContext) { this.#ctx = ctx; }
 *   submit(tasks: readonly TaskSpec[]) {
 *     for (const t of tasks) { seen.push(t); this.#ctx!.running(t.id); this.#ctx!.done(t.id, "ok"); }
 *   }
 *   cancel() {}
 *   async shutdown() {}
 * }
 * await using flow = await WorkflowEngine.create({ backend: new Recorder() });
 * const hello = flow.executableTask((who: string) => ["echo", who], { resources: { ranks: 2 } });
 * await hello("world");
 * assert.deepEqual(
 *   [seen[0]!.kind, seen[0]!.command, seen[0]!.resources, seen[0]!.attempt],
 *   ["executable", ["echo", "world"], { ranks: 2 }, 1],
 * );
 * ```
 */
export interface TaskSpec {
  /**
   * The submission id: unique per attempt (`task.000001`, then `task.000001#2`
   * for the first retry). Backends key their state on it and report with it.
   */
  id: string;
  /** The task's uid, shared by all its attempts. */
  uid: string;
  /** The task's name. */
  name: string;
  /** A function call or a command. */
  kind: "function" | "executable";
  /**
   * The function to call (function tasks). In-process backends call it;
   * backends that run functions elsewhere address it by module and export.
   */
  fn?: (...args: never[]) => unknown;
  /** The function's arguments, futures already replaced by their values. */
  args: unknown[];
  /** The command (executable tasks): a string for a shell, or an argv array run without one. */
  command?: string | readonly string[];
  /** Working directory of the process. */
  cwd?: string;
  /** Variables added to the inherited environment. */
  env?: Record<string, string>;
  /** Write stdout/stderr to files in the engine's work directory and report the stdout path. */
  captureOutput?: boolean;
  /** `"output"`: report `{ stdout, stderr }` (a `CommandOutput`) as the value instead of stdout. */
  result?: "output";
  /** What the task needs from the machine. */
  resources?: Resources;
  /** The files the task declared it reads and writes (see {@linkcode TaskFiles}). */
  files?: TaskFiles;
  /** Higher first among tasks waiting for a slot inside the backend. */
  priority: number;
  /** 1 for the first attempt, 2 for the first retry, and so on. */
  attempt: number;
  /** The workflow the task belongs to. */
  workflowId: string;
  /**
   * Aborted when the engine stops this attempt (cancel, timeout). Set by the
   * engine and made only when first read; a backend that runs `fn` in this
   * process makes the spec the current `TaskContext` while calling it.
   */
  readonly signal?: AbortSignal;
}

/**
 * What the engine gives a backend when it attaches: where to write files and
 * how to report state changes. Reports name the task by `TaskSpec.id`; a
 * report about an id the engine no longer waits for (a cancelled or timed-out
 * attempt) is ignored.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type BackendContext, type TaskSpec, WorkflowEngine } from "@asyncflow/asyncflow";
 * let ctx: BackendContext | undefined;
 * const later = {
 *   name: "later",
 *   attach(c: BackendContext) { ctx = c; },
 *   submit(tasks: readonly TaskSpec[]) { for (const t of tasks) ctx!.running(t.id, "node-7"); },
 *   cancel() {},
 *   async shutdown() {},
 * };
 * await using flow = await WorkflowEngine.create({ backend: later });
 * const f = flow.functionTask(() => "never called here")();
 * await Promise.resolve(); // the engine submits at the end of the microtask
 * assert.equal(f.state, "RUNNING");
 * ctx!.done(f.uid, "reported");
 * assert.equal(await f, "reported");
 * ```
 */
export interface BackendContext {
  /** The uid of the engine the backend is attached to. */
  readonly engineUid: string;
  /** The engine's own directory, `{workDir}/{engineUid}`, for captured output and staging. Created on demand. */
  readonly workDir: string;
  /**
   * Set when the run is recorded (`EngineOptions.record`): the directory where a backend keeps
   * every command's complete stdout and stderr (`{outputDir}/{id}.stdout|.stderr`, `#` in the id
   * replaced by `.attempt`), named in the {@linkcode ExecutionRecord} it reports. Created by the
   * engine. Absent: nobody records, and a backend need not keep anything.
   */
  readonly outputDir?: string;
  /**
   * The task started executing (its timeout starts now).
   *
   * @param where Where it runs, for traces and reports: a worker (`worker-2`), a node (`nid001`).
   */
  running(id: string, where?: string): void;
  /**
   * What the attempt ran and how it ended, given before its final report (`done`, `failed`); the
   * engine puts it on that report's event. Optional: a context made outside the engine may
   * not take records, so call it as `ctx.ran?.(id, record)`.
   */
  ran?(id: string, record: ExecutionRecord): void;
  /** The task finished with a value. */
  done(id: string, value: unknown): void;
  /** The task failed; the engine applies the retry policy. */
  failed(id: string, error: unknown): void;
  /** The task was cancelled by the backend itself (e.g. its allocation ended). */
  cancelled(id: string, reason?: unknown): void;
  /**
   * The W3C trace context of a task attempt being submitted, when an exporter traces the run
   * (`@asyncflow/asyncflow/otel`): a backend that runs tasks elsewhere sends it along, so the work
   * there joins the trace. Optional, and `undefined` when nobody traces.
   */
  traceContext?(task: Pick<TaskSpec, "uid" | "attempt">): TraceContext | undefined;
}

/**
 * The contract every backend fulfils. A backend never touches engine
 * internals: it receives ready tasks, runs them, and reports what happened.
 *
 * Rules, checked by the conformance suite (`tests/backend_conformance.ts`):
 * - every submitted task gets exactly one final report (`done`, `failed` or
 *   `cancelled`) unless the engine cancelled it, and `running` before it;
 * - `submit` does not throw for a problem of one task: it reports `failed`;
 * - `cancel` stops the work (kills the process, terminates the worker) and
 *   may be called for ids that already finished;
 * - `shutdown` stops everything still running and resolves when it is gone.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type Backend, type BackendContext, type TaskSpec, WorkflowEngine } from "@asyncflow/asyncflow";
 * class EchoBackend implements Backend {
 *   readonly name = "echo";
 *   #ctx?: BackendContext;
 *   attach(ctx: BackendContext) { this.#ctx = ctx; }
 *   submit(tasks: readonly TaskSpec[]) {
 *     for (const t of tasks) { this.#ctx!.running(t.id); this.#ctx!.done(t.id, t.args); }
 *   }
 *   cancel() {}
 *   async shutdown() {}
 * }
 * await using flow = await WorkflowEngine.create({ backend: new EchoBackend() });
 * const pair = flow.functionTask((a: number, b: number) => a + b);
 * assert.deepEqual(await pair(1, 2), [1, 2]); // EchoBackend reports the arguments as the value
 * ```
 */
export interface Backend {
  /** The name tasks use to route to this backend (`{ backend: name }`). */
  readonly name: string;
  /**
   * How many tasks the backend takes at once. The engine keeps the rest in
   * its own priority queue: this is the backpressure. Default: unlimited.
   */
  readonly capacity?: number | undefined;
  /** Called once, when the engine is created. May start workers or connect. */
  attach(ctx: BackendContext): void | Promise<void>;
  /** Takes a batch of ready tasks. */
  submit(tasks: readonly TaskSpec[]): void;
  /** Stops one task. */
  cancel(id: string, reason: unknown): void;
  /** Stops everything and releases resources. */
  shutdown(): Promise<void>;
}
