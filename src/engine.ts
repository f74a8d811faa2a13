import type { Backend, BackendContext } from "./backend.ts";
import type { Calls } from "./calls.ts";
import { define, type DefinitionHost } from "./definitions.ts";
import { Emitter } from "./emitter.ts";
import { type EngineOptions, resolveEngineOptions } from "./engine_options.ts";
import { CancelledError } from "./errors.ts";
import { eventIterator, type TaskEvent, type TaskEventListener } from "./events.ts";
import { type ContextStorage, host } from "./host/mod.ts";
import type { Kernel } from "./kernel.ts";
import type { Lanes } from "./lanes.ts";
import { wireParts } from "./engine_parts.ts";
import { randomHex } from "./random_hex.ts";
import { invalid } from "./validate.ts";
import type {
  CommandOutput,
  ExecutableOptions,
  ExecutableTaskOptions,
  TaskOptions,
} from "./options.ts";
import type { RunRecorder } from "./run_recorder.ts";
import { type AttributionCheck, type FlowScope, flowScope, type Scope } from "./scope.ts";
import type { EngineStats } from "./stats.ts";
import type { TaskFunction } from "./task_function.ts";
import { TraceContextHook, type TraceContextProvider } from "./trace_context.ts";

export type { EngineOptions } from "./engine_options.ts";
export type { EngineStats } from "./stats.ts";

/**
 * Runs a campaign of tasks: functions, commands and blocks, wired into a
 * dependency graph by passing futures as arguments, on pluggable backends.
 *
 * The scheduler is event-driven: a finished task pushes its dependents
 * straight into the ready queue, and ready tasks are handed to backends in
 * batches at the end of the current microtask. Records of finished tasks are
 * released at once; memory follows the live tasks, not the history.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WorkflowEngine } from "@asyncflow/asyncflow";
 * await using flow = await WorkflowEngine.create();
 * const step = flow.functionTask(async (name: string, n: number) => `${name}-${n}`);
 * const echo = flow.executableTask((word: string) => ["echo", word]);
 * const campaign = flow.block(async (name: string) => {
 *   const a = await step(name, 1);
 *   return await echo(step(a, 2));
 * });
 * assert.ok((await campaign("A")) === "A-1-2");
 * ```
 */
export class WorkflowEngine {
  /** The engine's id. */
  readonly uid: string;
  /** The directory under which the engine's own directory is made. */
  readonly workDir: string;
  /** Whether the engine replaced its backends by no-op ones. */
  readonly dryRun: boolean;
  readonly #context: ContextStorage<Scope | undefined> = host.contextStorage<Scope | undefined>();
  readonly #emitter = new Emitter();
  readonly #trace = new TraceContextHook();
  readonly #kernel: Kernel;
  readonly #lanes: Lanes;
  readonly #definitions: DefinitionHost;
  readonly #reports: BackendContext;
  readonly #calls: Calls;
  /** Where the runtime has no async context: warns of calls it cannot attribute. */
  readonly #attribution: AttributionCheck | undefined;
  #shutdown: Promise<void> | undefined;
  #record: RunRecorder | undefined;

  private constructor(uid: string, workDir: string, options: EngineOptions, backends: Backend[]) {
    this.uid = uid;
    this.workDir = workDir;
    this.dryRun = options.dryRun ?? false;
    const parts = wireParts(uid, workDir, options, backends, {
      emitter: this.#emitter,
      context: this.#context,
      trace: this.#trace,
    });
    this.#kernel = parts.kernel;
    this.#lanes = parts.lanes;
    this.#calls = parts.calls;
    this.#definitions = parts.definitions;
    this.#reports = parts.reports;
    this.#attribution = parts.attribution;
    if (options.record) {
      this.#record = options.record;
      this.#emitter.subscribe(options.record.onEvent);
    }
  }

  /**
   * Creates an engine and attaches its backends.
   *
   * @param options Backends, dry run, uid and work directory.
   * @returns The engine, ready for task calls.
   * @throws {TypeError} On duplicate backend names or malformed options.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { NoopBackend, WorkflowEngine } from "@asyncflow/asyncflow";
   * const flow = await WorkflowEngine.create({ backends: [new NoopBackend({ name: "ai" })] });
   * assert.ok(flow.backendNames.includes("ai"));
   * await flow.shutdown();
   * ```
   */
  static async create(options: EngineOptions = {}): Promise<WorkflowEngine> {
    const { backends, uid, workDir } = resolveEngineOptions(options);
    const engine = new WorkflowEngine(uid, workDir, options, backends);
    if (options.record?.outputDir !== undefined) await host.mkdir(options.record.outputDir);
    await Promise.all(backends.map((backend) => backend.attach(engine.#reports)));
    return engine;
  }

  /** The names of the engine's backends; the first is the default. */
  get backendNames(): string[] {
    return this.#lanes.names;
  }

  /** Whether `shutdown()` was called. */
  get closed(): boolean {
    return this.#calls.closed;
  }

  /**
   * Makes a function a task. Each call returns a {@linkcode TaskFuture} at
   * once; the function runs on a backend once every future among its
   * arguments is done, and receives their values.
   *
   * @param fn The work: sync or async.
   * @param options Definition-time options (see {@linkcode TaskOptions}).
   * @returns A function with the same parameters (each also taking futures).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { WorkflowEngine } from "@asyncflow/asyncflow";
   * await using flow = await WorkflowEngine.create();
   * const sum = flow.functionTask((xs: number[]) => xs.reduce((a, b) => a + b, 0));
   * const one = flow.functionTask(() => 1);
   * assert.ok((await sum([one(), one(), 5])) === 7);
   * ```
   */
  functionTask<A extends unknown[], R>(
    fn: (...args: A) => R,
    options?: TaskOptions,
  ): TaskFunction<A, Awaited<R>> {
    return define(this.#definitions, "function", fn, options) as TaskFunction<A, Awaited<R>>;
  }

  /**
   * Makes a command a task. The body runs once the dependencies are done,
   * with their values, and returns the command: a string (run by `/bin/sh`)
   * or an argv array (run without a shell: no quoting trouble). The future
   * resolves to the command's stdout — with `result: "output"`, to its stdout
   * and stderr (a {@linkcode CommandOutput}); a non-zero exit or a signal
   * rejects with an {@linkcode ExecutableError}, which carries both streams.
   *
   * @param fn Builds the command from the arguments.
   * @param options Definition-time options, including `cwd`, `env`, `timeout`, `captureOutput`, `result`.
   * @returns A function with the same parameters (each also taking futures).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { WorkflowEngine } from "@asyncflow/asyncflow";
   * await using flow = await WorkflowEngine.create();
   * const echo = flow.executableTask((text: string) => ["echo", text]);
   * assert.ok((await echo("a    b")) === "a    b");
   * ```
   */
  executableTask<A extends unknown[]>(
    fn: (...args: A) => string | readonly string[] | Promise<string | readonly string[]>,
    options: ExecutableTaskOptions & { result: "output" },
  ): TaskFunction<A, CommandOutput, ExecutableOptions>;
  /** Makes a command a task whose future resolves to its stdout (see the overload above). */
  executableTask<A extends unknown[]>(
    fn: (...args: A) => string | readonly string[] | Promise<string | readonly string[]>,
    options?: ExecutableTaskOptions,
  ): TaskFunction<A, string, ExecutableOptions>;
  executableTask<A extends unknown[]>(
    fn: (...args: A) => string | readonly string[] | Promise<string | readonly string[]>,
    options?: ExecutableTaskOptions,
  ): TaskFunction<A, string | CommandOutput, ExecutableOptions> {
    return define(this.#definitions, "executable", fn, options) as TaskFunction<
      A,
      string,
      ExecutableOptions
    >;
  }

  /**
   * Makes a sub-workflow: a body that runs on the engine, may call tasks and
   * blocks as it goes, and can depend on and be depended on like a task.
   *
   * A block owns what it starts. When its body returns, the block waits for
   * every task and block it started and still running, then resolves to the
   * body's value: nothing outlives it. When its body throws, or the block is
   * cancelled or times out, everything it started and that is unfinished is
   * cancelled (processes killed), recursively.
   *
   * @param fn The body.
   * @param options `name`, `retries`, `timeout`, `workflowId`, `after`, `signal`.
   * @returns A function with the same parameters (each also taking futures).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { WorkflowEngine } from "@asyncflow/asyncflow";
   * await using flow = await WorkflowEngine.create();
   * const step = flow.functionTask((n: number) => n + 1);
   * const chain = flow.block(async (start: number) => await step(await step(start)));
   * const first = chain(0);
   * assert.ok((await chain(first)) === 4);
   * ```
   */
  block<A extends unknown[], R>(
    fn: (...args: A) => R,
    options?: TaskOptions,
  ): TaskFunction<A, Awaited<R>> {
    return define(this.#definitions, "block", fn, options) as TaskFunction<A, Awaited<R>>;
  }

  /**
   * Runs `fn` with every task call inside it (across awaits) tagged with one
   * workflow id. Scopes belong to this engine only and nest; a scope opened
   * inside a block keeps the block's ownership of its tasks.
   *
   * @param workflowId The id; omitted, a fresh `wf-<random>` id is made.
   * @param fn The code to run; receives the id.
   * @returns What `fn` returns.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { WorkflowEngine } from "@asyncflow/asyncflow";
   * await using flow = await WorkflowEngine.create();
   * const t = flow.functionTask(() => 1);
   * const f = flow.workflowScope("exp-1", () => t());
   * assert.ok(f.workflowId === "exp-1" && (await f) === 1);
   * ```
   */
  workflowScope<R>(workflowId: string, fn: (workflowId: string) => R): R;
  /** Runs `fn` in a scope with a fresh workflow id. */
  workflowScope<R>(fn: (workflowId: string) => R): R;
  workflowScope<R>(
    idOrFn: string | ((workflowId: string) => R),
    maybeFn?: (workflowId: string) => R,
  ): R {
    const [id, fn] = typeof idOrFn === "string"
      ? [idOrFn, maybeFn]
      : [`wf-${randomHex(8)}`, idOrFn];
    if (typeof fn !== "function") {
      throw invalid("workflowScope", "fn", "a function to run", fn);
    }
    const run = this.#context.get()?.run;
    const result = this.#context.run({ workflowId: id, run }, () => fn(id));
    return this.#attribution === undefined ? result : this.#attribution.track(result);
  }

  /**
   * The scope the code runs in now — the block body and the workflow id —
   * as a handle whose `run(fn)` makes calls in it later. Take it
   * synchronously at the start of a block body or a `workflowScope`
   * callback, before the first `await`. Deno, Bun and Node carry the scope
   * across awaits by themselves; browsers and workerd have no async context,
   * and there a call made after an `await` belongs to the block (is
   * cancelled with it, waited for, and gets its workflow id) only inside
   * `scope.run`. Code that runs everywhere uses it everywhere.
   *
   * @returns The current scope (outside any: the default workflow, no block).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { WorkflowEngine } from "@asyncflow/asyncflow";
   * await using flow = await WorkflowEngine.create();
   * const step = flow.functionTask((n: number) => n * 2);
   * const f = flow.workflowScope("exp-1", async () => {
   *   const scope = flow.scope();
   *   await step(1);
   *   const later = scope.run(() => step(2)); // tagged exp-1 on every runtime
   *   return { workflowId: later.workflowId, value: await later };
   * });
   * assert.deepEqual(await f, { workflowId: "exp-1", value: 4 });
   * ```
   */
  scope(): FlowScope {
    return flowScope(this.#context);
  }

  /**
   * Listens to every state change of every task and block. Listeners are
   * called synchronously; when none is registered no event is even built.
   *
   * @param listener Receives each {@linkcode TaskEvent}.
   * @returns A function that removes the listener.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { WorkflowEngine } from "@asyncflow/asyncflow";
   * await using flow = await WorkflowEngine.create();
   * const types: string[] = [];
   * const stop = flow.subscribe((e) => types.push(e.type));
   * await flow.functionTask(() => 1)();
   * stop();
   * assert.ok(types[0] === "created" && types.at(-1) === "done");
   * ```
   */
  subscribe(listener: TaskEventListener): () => void {
    return this.#emitter.subscribe(listener);
  }

  /**
   * Gives the engine the W3C trace context of each task attempt as it is submitted, for the
   * backends that carry it (the `RemoteBackend`); `@asyncflow/asyncflow/otel` calls it. One
   * provider at a time.
   *
   * @returns The function that removes the provider.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { WorkflowEngine } from "@asyncflow/asyncflow";
   * await using flow = await WorkflowEngine.create();
   * const asked: string[] = [];
   * const stop = flow.useTraceContext((t) => (asked.push(t.uid), undefined));
   * stop();
   * assert.deepEqual(asked, []); // asked only by backends that send it
   * ```
   */
  useTraceContext(provider: TraceContextProvider): () => void {
    return this.#trace.use(provider);
  }

  /**
   * The event stream as an async iterator, buffered from the moment of the
   * call; ends when `signal` aborts or the loop breaks.
   *
   * @param signal Ends the iteration.
   * @returns An iterator of {@linkcode TaskEvent}s.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { WorkflowEngine } from "@asyncflow/asyncflow";
   * await using flow = await WorkflowEngine.create();
   * const events = flow.events();
   * await flow.functionTask(() => 1)();
   * const first = await events.next();
   * await events.return?.();
   * assert.ok(first.value.type === "created");
   * ```
   */
  events(signal?: AbortSignal): AsyncIterableIterator<TaskEvent> {
    return eventIterator((listener) => this.subscribe(listener), signal);
  }

  /**
   * Counts of tasks and blocks by state.
   *
   * @returns A fresh snapshot.
   */
  stats(): EngineStats {
    return this.#kernel.stats();
  }

  /**
   * Cancels every unfinished task and block, then shuts the backends down
   * (killing what runs). Later task calls throw {@linkcode EngineClosedError}.
   * Safe to call more than once, and concurrently.
   *
   * @throws {AggregateError} When a backend failed to shut down (after all were tried).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { WorkflowEngine } from "@asyncflow/asyncflow";
   * const flow = await WorkflowEngine.create();
   * await flow.shutdown();
   * assert.ok(flow.closed);
   * ```
   */
  shutdown(): Promise<void> {
    this.#shutdown ??= this.#doShutdown();
    return this.#shutdown;
  }

  /** Shuts down at the end of an `await using` scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  async #doShutdown(): Promise<void> {
    this.#calls.closed = true;
    for (const node of this.#kernel.live.snapshot()) {
      this.#kernel.settle(
        node,
        "CANCELLED",
        new CancelledError(node.uid, "the engine shut down", node.name),
      );
    }
    const results = await Promise.allSettled(this.#lanes.backends.map((b) => b.shutdown()));
    const errors = results.flatMap((r) => (r.status === "rejected" ? [r.reason] : []));
    try {
      await this.#record?.close({ uid: this.uid, stats: this.#kernel.stats() });
    } catch (error) {
      errors.push(new Error("The run's record could not be completed", { cause: error }));
    }
    if (errors.length > 0) {
      throw new AggregateError(errors, "Some backends (or the run's record) failed to shut down");
    }
  }
}

/**
 * Declares the engine `AsyncDisposable` (for `await using`) in a form that
 * survives declaration emit, which drops computed symbol keys from classes.
 */
export interface WorkflowEngine extends AsyncDisposable {}
