import type { Backend, BackendContext, TaskSpec } from "./backend.ts";
import { collectFutures, resolveArgs } from "./dependencies.ts";
import {
  CancelledError,
  DependencyFailureError,
  EngineClosedError,
  TimeoutError,
} from "./errors.ts";
import {
  errorInfo,
  eventIterator,
  now,
  type TaskEvent,
  type TaskEventListener,
  type TaskEventType,
  valueInfo,
} from "./events.ts";
import { type ContextStorage, host } from "./host/mod.ts";
import { describe, type ExecutableOptions, type TaskOptions, validateOptions } from "./options.ts";
import { memoKey } from "./memo_key.ts";
import { ReadyQueue } from "./ready_queue.ts";
import { retryDelay } from "./retry.ts";
import type { TaskFunction } from "./task_function.ts";
import { futureOwner, setFutureState, settleFuture, TaskFuture } from "./task_future.ts";
import { type AnyFunction, type NodeOwner, TaskNode } from "./task_node.ts";
import type { TaskKind, TaskState } from "./task_state.ts";
import { isThenable } from "./thenable.ts";
import { LocalBackend } from "./local_backend.ts";
import { NoopBackend } from "./noop_backend.ts";

/**
 * Options of {@linkcode WorkflowEngine.create}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LocalBackend, type EngineOptions } from "@asyncflow/asyncflow";
 * const options: EngineOptions = { backend: new LocalBackend({ processes: 2 }), uid: "run-1" };
 * assert.ok(options.uid === "run-1");
 * ```
 */
export interface EngineOptions {
  /** The default backend. Default: a {@linkcode LocalBackend}. */
  backend?: Backend;
  /** More backends, routed to by name; without `backend`, the first is the default. */
  backends?: readonly Backend[];
  /** Replace every backend by a {@linkcode NoopBackend} of the same name: check wiring, run nothing. */
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
  /** Put `memoKey` and the full `result` on every task's `done` event, so a trace can be resumed from. */
  recordResults?: boolean;
}

/**
 * Counts of tasks and blocks by state, from {@linkcode WorkflowEngine.stats}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WorkflowEngine } from "@asyncflow/asyncflow";
 * await using flow = await WorkflowEngine.create();
 * await flow.functionTask(() => 1)();
 * const s = flow.stats();
 * assert.ok(s.created === 1 && s.done === 1 && s.pending === 0);
 * ```
 */
export interface EngineStats {
  /** Calls made so far. */
  created: number;
  /** Unfinished and not running (waiting for dependencies, a slot, or a backend). */
  pending: number;
  /** Running now. */
  running: number;
  /** Finished with a value. */
  done: number;
  /** Finished with an error. */
  failed: number;
  /** Cancelled. */
  cancelled: number;
  /** Attempts that failed and were run again. */
  retried: number;
}

/** Where a task call happens: its workflow and enclosing block. */
interface Scope {
  workflowId: string;
  block: TaskNode | undefined;
}

/** A task definition, shared by all its calls. */
interface Definition {
  kind: TaskKind;
  fn: AnyFunction;
  name: string;
  options: ExecutableOptions;
}

/** A backend and the tasks waiting for its slots. */
interface Lane {
  backend: Backend;
  capacity: number;
  inflight: number;
  queue: ReadyQueue<TaskNode>;
}

/** Options that only make sense for executables, and those blocks accept. */
const EXECUTABLE_ONLY = ["cwd", "env", "captureOutput"] as const;
const BLOCK_FORBIDDEN = ["backend", "resources", "priority", ...EXECUTABLE_ONLY] as const;
const DEFAULT_WORKFLOW = "main";

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
 * assert.ok((await campaign("A")) === "A-1-2\n");
 * ```
 */
export class WorkflowEngine {
  /** The engine's id. */
  readonly uid: string;
  /** The directory under which the engine's own directory is made. */
  readonly workDir: string;
  /** Whether the engine replaced its backends by no-op ones. */
  readonly dryRun: boolean;
  readonly #lanes = new Map<string, Lane>();
  readonly #defaultLane: Lane;
  readonly #inflight = new Map<string, TaskNode>();
  readonly #live = new Set<TaskNode>();
  readonly #context: ContextStorage<Scope | undefined> = host.contextStorage<Scope | undefined>();
  readonly #resume: ReadonlyMap<string, unknown> | undefined;
  readonly #recordResults: boolean;
  readonly #owner: NodeOwner = { cancelNode: (node, reason) => this.#cancel(node, reason) };
  #readyBlocks: TaskNode[] = [];
  #flushScheduled = false;
  #counter = 0;
  #closed = false;
  #shutdown: Promise<void> | undefined;
  #listeners: TaskEventListener[] = [];
  // `pending` is derived in stats(): the live tasks that are not running.
  #stats: Omit<EngineStats, "pending"> = {
    created: 0,
    running: 0,
    done: 0,
    failed: 0,
    cancelled: 0,
    retried: 0,
  };

  private constructor(uid: string, workDir: string, options: EngineOptions, backends: Backend[]) {
    this.uid = uid;
    this.workDir = workDir;
    this.dryRun = options.dryRun ?? false;
    this.#resume = options.resume;
    this.#recordResults = options.recordResults ?? false;
    for (const backend of backends) {
      if (this.#lanes.has(backend.name)) {
        throw new TypeError(
          `Two backends are named '${backend.name}': backend names must be unique`,
        );
      }
      const capacity = backend.capacity ?? Infinity;
      if (!(capacity >= 1)) {
        throw new TypeError(
          `Backend '${backend.name}' has capacity ${capacity}: it must be at least 1`,
        );
      }
      this.#lanes.set(backend.name, { backend, capacity, inflight: 0, queue: new ReadyQueue() });
    }
    this.#defaultLane = this.#lanes.values().next().value!;
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
    if (options === null || typeof options !== "object") {
      throw new TypeError(
        `WorkflowEngine.create: options must be an object, got ${describe(options)}`,
      );
    }
    const given = [...(options.backend ? [options.backend] : []), ...(options.backends ?? [])];
    for (const b of given) {
      if (!b || typeof b.submit !== "function" || typeof b.name !== "string") {
        throw new TypeError(
          `WorkflowEngine.create: ${
            describe(b)
          } is not a Backend (name, attach, submit, cancel, shutdown)`,
        );
      }
    }
    const dryRun = options.dryRun ?? false;
    let backends = given.length > 0 ? given : [new LocalBackend()];
    if (dryRun) backends = backends.map((b) => new NoopBackend({ name: b.name }));
    const uid = options.uid ?? `asyncflow.${randomHex(8)}`;
    if (!/^[\w.-]{1,128}$/.test(uid)) {
      throw new TypeError(
        `WorkflowEngine.create: uid ${
          JSON.stringify(uid)
        } must be 1-128 letters, digits, '.', '_' or '-'`,
      );
    }
    const workDir = options.workDir ?? host.cwd();
    if (options.resume !== undefined && !(options.resume instanceof Map)) {
      throw new TypeError(
        `WorkflowEngine.create: 'resume' must be a Map of memo key to result, got ${
          describe(options.resume)
        }`,
      );
    }
    const engine = new WorkflowEngine(uid, workDir, options, backends);
    const engineDir = `${workDir}/${uid}`;
    await Promise.all(backends.map((backend) => backend.attach(engine.#contextFor(engineDir))));
    return engine;
  }

  /** The names of the engine's backends; the first is the default. */
  get backendNames(): string[] {
    return [...this.#lanes.keys()];
  }

  /** Whether `shutdown()` was called. */
  get closed(): boolean {
    return this.#closed;
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
    return this.#define("function", fn, options) as TaskFunction<A, Awaited<R>>;
  }

  /**
   * Makes a command a task. The body runs once the dependencies are done,
   * with their values, and returns the command: a string (run by `/bin/sh`)
   * or an argv array (run without a shell: no quoting trouble). The future
   * resolves to the command's stdout; a non-zero exit or a signal rejects
   * with an {@linkcode ExecutableError}.
   *
   * @param fn Builds the command from the arguments.
   * @param options Definition-time options, including `cwd`, `env`, `timeout`, `captureOutput`.
   * @returns A function with the same parameters (each also taking futures).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { WorkflowEngine } from "@asyncflow/asyncflow";
   * await using flow = await WorkflowEngine.create();
   * const echo = flow.executableTask((text: string) => ["echo", text]);
   * assert.ok((await echo("a    b")) === "a    b\n");
   * ```
   */
  executableTask<A extends unknown[]>(
    fn: (...args: A) => string | readonly string[] | Promise<string | readonly string[]>,
    options?: ExecutableOptions,
  ): TaskFunction<A, string, ExecutableOptions> {
    return this.#define("executable", fn, options) as TaskFunction<A, string, ExecutableOptions>;
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
    return this.#define("block", fn, options) as TaskFunction<A, Awaited<R>>;
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
      throw new TypeError(`workflowScope: expected a function to run, got ${describe(fn)}`);
    }
    const block = this.#context.get()?.block;
    return this.#context.run({ workflowId: id, block }, () => fn(id));
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
    if (typeof listener !== "function") {
      throw new TypeError(`subscribe: listener must be a function, got ${describe(listener)}`);
    }
    this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
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
    return { ...this.#stats, pending: this.#live.size - this.#stats.running };
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
    this.#closed = true;
    for (const node of [...this.#live]) {
      this.#settle(node, "CANCELLED", new CancelledError(node.uid, "the engine shut down"));
    }
    const results = await Promise.allSettled(
      [...this.#lanes.values()].map((l) => l.backend.shutdown()),
    );
    const errors = results.flatMap((r) => (r.status === "rejected" ? [r.reason] : []));
    if (errors.length > 0) throw new AggregateError(errors, "Some backends failed to shut down");
  }

  // ---------------------------------------------------------------- definition

  #define(kind: TaskKind, fn: unknown, options: unknown): TaskFunction<unknown[], unknown> {
    const what = kind === "block" ? "block" : `${kind}Task`;
    if (typeof fn !== "function") {
      throw new TypeError(`${what}: expected a function, got ${describe(fn)}`);
    }
    const where = `${what}(${fn.name || "anonymous"})`;
    const checked = this.#checkOptions(kind, options, where);
    return this.#wrap({
      kind,
      fn: fn as AnyFunction,
      name: checked.name ?? (fn.name || kind),
      options: checked,
    });
  }

  #checkOptions(kind: TaskKind, options: unknown, where: string): ExecutableOptions {
    const checked = validateOptions(options, where);
    const forbidden = kind === "block"
      ? BLOCK_FORBIDDEN
      : kind === "function"
      ? EXECUTABLE_ONLY
      : [];
    for (const key of forbidden) {
      if (checked[key] !== undefined) {
        throw new TypeError(`${where}: option '${key}' does not apply to ${kind} tasks`);
      }
    }
    if (checked.backend !== undefined && !this.#lanes.has(checked.backend)) {
      throw new TypeError(
        `${where}: unknown backend '${checked.backend}' (this engine has: ${
          this.backendNames.join(", ")
        })`,
      );
    }
    return checked;
  }

  #wrap(def: Definition): TaskFunction<unknown[], unknown> {
    const call = (...args: unknown[]) => this.#call(def, args);
    return Object.assign(call, {
      with: (options: ExecutableOptions) => {
        const where = `${def.name}.with`;
        const extra = this.#checkOptions(def.kind, options, where);
        const merged = { ...def.options, ...extra };
        return this.#wrap({ ...def, name: extra.name ?? def.name, options: merged });
      },
      options: def.options,
      taskName: def.name,
    }) as TaskFunction<unknown[], unknown>;
  }

  // ---------------------------------------------------------------- calls

  #call(def: Definition, args: unknown[]): TaskFuture<unknown> {
    if (this.#closed) throw new EngineClosedError(this.uid);
    const options = def.options;
    const deps: TaskFuture<unknown>[] = [];
    const nested = collectFutures(args, deps);
    if (options.after) {
      for (const f of options.after) {
        if (!(f instanceof TaskFuture)) {
          throw new TypeError(`${def.name}: 'after' must hold TaskFutures, got ${describe(f)}`);
        }
        deps.push(f);
      }
    }
    const scope = this.#context.get();
    const parent = scope?.block;
    const pending = this.#pendingDependencies(def.name, deps, parent);

    const n = ++this.#counter;
    const uid = `${def.kind === "block" ? "block" : "task"}.${
      n < 1e6 ? String(n).padStart(6, "0") : n
    }`;
    const workflowId = options.workflowId ?? scope?.workflowId ?? DEFAULT_WORKFLOW;
    const node = new TaskNode(
      this.#owner,
      uid,
      def.name,
      def.kind,
      def.fn,
      args,
      nested,
      options,
      workflowId,
      parent,
    );
    const future = new TaskFuture<unknown>(uid, def.name, def.kind, workflowId, node);
    node.future = future;
    this.#live.add(node);
    this.#stats.created++;
    if (parent && !parent.settled) (parent.children ??= new Set()).add(node);
    if (this.#listeners.length > 0) {
      this.#emit("created", node, {
        ...(parent ? { parent: parent.uid } : {}),
        deps: deps.map((d) => d.uid),
      });
    }

    // Dependencies that already failed or were cancelled decide at once.
    let failed: TaskFuture<unknown>[] | undefined;
    let cancelled: TaskFuture<unknown> | undefined;
    for (const d of deps) {
      if (d.state === "FAILED") (failed ??= []).push(d);
      else if (d.state === "CANCELLED") cancelled ??= d;
    }
    if (failed) {
      this.#settle(node, "FAILED", new DependencyFailureError(node, failed, failed[0]!.error));
    } else if (cancelled) {
      this.#settle(
        node,
        "CANCELLED",
        new CancelledError(uid, `dependency ${cancelled.uid} was cancelled`),
      );
    } else if (parent?.settled) {
      this.#settle(
        node,
        "CANCELLED",
        new CancelledError(uid, `its block ${parent.uid} has finished`),
      );
    } else {
      for (const dep of pending) {
        node.waiting++;
        (dep.dependents ??= []).push(node);
      }
      const signal = options.signal;
      if (signal) {
        if (signal.aborted) {
          this.#settle(node, "CANCELLED", new CancelledError(uid, signal.reason));
          return future;
        }
        const onAbort = () => this.#cancel(node, signal.reason);
        signal.addEventListener("abort", onAbort, { once: true });
        node.unlisten = () => signal.removeEventListener("abort", onAbort);
      }
      if (node.waiting === 0) this.#ready(node);
    }
    return future;
  }

  /** The unfinished dependencies' nodes, after checking that each may be depended on. */
  #pendingDependencies(
    name: string,
    deps: TaskFuture<unknown>[],
    parent: TaskNode | undefined,
  ): TaskNode[] {
    const pending: TaskNode[] = [];
    for (const d of deps) {
      const node = futureOwner(d);
      if (node === undefined) continue;
      if (!(node instanceof TaskNode) || node.owner !== this.#owner) {
        throw new TypeError(
          `${name}: ${d.uid} belongs to another WorkflowEngine; await it first and pass its value`,
        );
      }
      for (let b = parent; b; b = b.parent) {
        if (b === node) {
          throw new TypeError(
            `${name}: cannot depend on ${d.uid} ('${d.name}'), the block it is called from: it would wait forever`,
          );
        }
      }
      pending.push(node);
    }
    return pending;
  }

  /** All dependencies are done: resolve arguments and queue the task. */
  #ready(node: TaskNode): void {
    if (this.#listeners.length > 0) this.#emit("resolved", node);
    node.phase = "ready";
    if (node.args.length > 0) node.args = resolveArgs(node.args, node.nested);
    if (node.kind === "block") {
      this.#readyBlocks.push(node);
      this.#scheduleFlush();
    } else if (node.kind === "executable") {
      this.#buildCommand(node);
    } else {
      this.#enqueue(node);
    }
  }

  /** Runs an executable's body to get its command, then queues it. */
  #buildCommand(node: TaskNode): void {
    let built: unknown;
    try {
      built = node.fn!(...node.args);
    } catch (error) {
      this.#settle(node, "FAILED", error);
      return;
    }
    const accept = (command: unknown) => {
      if (node.settled) return;
      const problem = commandProblem(command);
      if (problem) {
        this.#settle(
          node,
          "FAILED",
          new TypeError(`Executable task '${node.name}' (${node.uid}): ${problem}`),
        );
        return;
      }
      node.command = command as string | readonly string[];
      this.#enqueue(node);
    };
    if (isThenable(built)) {
      built.then(accept, (error) => !node.settled && this.#settle(node, "FAILED", error));
    } else accept(built);
  }

  #enqueue(node: TaskNode): void {
    if (this.#resume !== undefined || this.#recordResults) {
      node.memoKey = memoKey(node.kind, node.name, node.args, node.command);
      if (node.memoKey !== undefined && this.#resume?.has(node.memoKey)) {
        this.#settle(node, "DONE", this.#resume.get(node.memoKey), true);
        return;
      }
    }
    const lane = this.#laneOf(node);
    if (this.#listeners.length > 0) this.#emit("queued", node, { backend: lane.backend.name });
    lane.queue.push(node);
    this.#scheduleFlush();
  }

  /** The lane of the backend a task is routed to (names are checked at definition). */
  #laneOf(node: TaskNode): Lane {
    const name = node.options.backend;
    return name === undefined ? this.#defaultLane : this.#lanes.get(name)!;
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    queueMicrotask(this.#flush);
  }

  /**
   * Starts ready blocks and hands each backend as many ready tasks as it takes.
   * Runs outside any scope: a microtask inherits the async context of whoever
   * queued it, and tasks started here must not inherit an unrelated block.
   */
  readonly #flush = (): void => {
    if (this.#context.get() === undefined) this.#flushNow();
    else this.#context.run(undefined, this.#flushNow);
  };

  readonly #flushNow = (): void => {
    this.#flushScheduled = false;
    if (this.#readyBlocks.length > 0) {
      const blocks = this.#readyBlocks;
      this.#readyBlocks = [];
      for (const block of blocks) if (!block.settled) this.#startBlock(block);
    }
    for (const lane of this.#lanes.values()) {
      if (lane.queue.size > 0 && lane.inflight < lane.capacity) this.#submit(lane);
    }
  };

  #submit(lane: Lane): void {
    const batch: TaskSpec[] = [];
    const listening = this.#listeners.length > 0;
    while (lane.inflight < lane.capacity) {
      const node = lane.queue.pop();
      if (node === undefined) break;
      if (node.settled) continue;
      const spec = this.#specOf(node);
      node.phase = "submitted";
      this.#inflight.set(spec.id, node);
      lane.inflight++;
      if (listening) {
        this.#emit("submitted", node, { backend: lane.backend.name, attempt: node.attempt });
      }
      batch.push(spec);
    }
    if (batch.length === 0) return;
    try {
      lane.backend.submit(batch);
    } catch (error) {
      const why = new Error(
        `Backend '${lane.backend.name}' rejected a batch: ${errorInfo(error).message}`,
        {
          cause: error,
        },
      );
      for (const spec of batch) {
        const node = this.#inflight.get(spec.id);
        if (node) this.#attemptFailed(node, why);
      }
    }
  }

  #specOf(node: TaskNode): TaskSpec {
    const id = node.attempt === 1 ? node.uid : `${node.uid}#${node.attempt}`;
    node.submissionId = id;
    const spec: TaskSpec = {
      id,
      uid: node.uid,
      name: node.name,
      kind: node.kind === "executable" ? "executable" : "function",
      args: node.args as unknown[],
      priority: node.priority,
      attempt: node.attempt,
      workflowId: node.workflowId,
    };
    const o = node.options;
    if (node.kind === "function") spec.fn = node.fn!;
    else {
      spec.command = node.command!;
      if (o.cwd !== undefined) spec.cwd = o.cwd;
      if (o.env !== undefined) spec.env = o.env;
      if (o.captureOutput) spec.captureOutput = true;
    }
    if (o.resources !== undefined) spec.resources = o.resources;
    return spec;
  }

  // ---------------------------------------------------------------- blocks

  #startBlock(block: TaskNode): void {
    const attempt = block.attempt;
    this.#markRunning(block);
    let result: unknown;
    try {
      result = this.#context.run(
        { workflowId: block.workflowId, block },
        () => block.fn!(...block.args),
      );
    } catch (error) {
      this.#blockBodyEnded(block, attempt, false, error);
      return;
    }
    if (isThenable(result)) {
      result.then(
        (value) => this.#blockBodyEnded(block, attempt, true, value),
        (error) => this.#blockBodyEnded(block, attempt, false, error),
      );
    } else {
      this.#blockBodyEnded(block, attempt, true, result);
    }
  }

  #blockBodyEnded(block: TaskNode, attempt: number, ok: boolean, outcome: unknown): void {
    if (block.settled || block.attempt !== attempt) return;
    if (!ok) {
      this.#cancelChildren(block, `its block ${block.uid} failed`);
      this.#attemptFailed(block, outcome);
      return;
    }
    if (block.children === undefined || block.children.size === 0) {
      this.#settle(block, "DONE", outcome);
      return;
    }
    // Structured concurrency: the block ends when everything it started has ended.
    block.bodyReturned = true;
    block.bodyValue = outcome;
  }

  #cancelChildren(block: TaskNode, why: string): void {
    if (!block.children) return;
    for (const child of [...block.children]) {
      this.#settle(child, "CANCELLED", new CancelledError(child.uid, why));
    }
  }

  // ---------------------------------------------------------------- reports

  #contextFor(engineDir: string): BackendContext {
    return {
      engineUid: this.uid,
      workDir: engineDir,
      running: (id, where) => this.#guard(id, (node) => this.#markRunning(node, where)),
      done: (id, value) =>
        this.#guard(id, (node) => {
          this.#leaveBackend(node);
          this.#settle(node, "DONE", value);
        }),
      failed: (id, error) => this.#guard(id, (node) => this.#attemptFailed(node, error)),
      cancelled: (id, reason) =>
        this.#guard(id, (node) => {
          this.#leaveBackend(node);
          this.#settle(
            node,
            "CANCELLED",
            new CancelledError(node.uid, reason ?? "cancelled by its backend"),
          );
        }),
    };
  }

  /**
   * Applies a backend report. A report about an attempt the engine no longer
   * waits for is ignored; an error while applying one fails that task rather
   * than leaving it hanging.
   */
  #guard(id: string, apply: (node: TaskNode) => void): void {
    const node = this.#inflight.get(id);
    if (node === undefined) return;
    try {
      apply(node);
    } catch (error) {
      if (!node.settled) {
        this.#leaveBackend(node);
        this.#settle(
          node,
          "FAILED",
          new Error(`asyncflow failed while handling a report for ${node.uid}`, { cause: error }),
        );
      } else {
        console.error(`asyncflow: error while handling a report for ${node.uid}:`, error);
      }
    }
  }

  #markRunning(node: TaskNode, where?: string): void {
    if (node.phase === "running" || node.settled) return;
    node.phase = "running";
    this.#stats.running++;
    setFutureState(node.future, "RUNNING");
    if (this.#listeners.length > 0) {
      this.#emit(
        "running",
        node,
        where === undefined ? { attempt: node.attempt } : { attempt: node.attempt, where },
      );
    }
    const timeout = node.options.timeout;
    if (timeout !== undefined) {
      const attempt = node.attempt;
      node.timer = setTimeout(() => this.#timedOut(node, attempt, timeout), timeout);
    }
  }

  #leaveRunning(node: TaskNode): void {
    if (node.phase === "running") this.#stats.running--;
    if (node.timer !== undefined) {
      clearTimeout(node.timer);
      node.timer = undefined;
    }
  }

  #timedOut(node: TaskNode, attempt: number, timeout: number): void {
    node.timer = undefined;
    if (node.settled || node.attempt !== attempt) return;
    const error = new TimeoutError(node.uid, timeout);
    if (node.kind === "block") this.#cancelChildren(node, `its block ${node.uid} timed out`);
    else this.#leaveBackend(node, error);
    this.#attemptFailed(node, error);
  }

  /** The node's attempt leaves its backend; with a reason, the backend is told to stop it. */
  #leaveBackend(node: TaskNode, cancelReason?: unknown): void {
    const id = node.submissionId;
    if (id === undefined) return;
    node.submissionId = undefined;
    if (this.#inflight.get(id) !== node) return;
    this.#inflight.delete(id);
    const lane = this.#laneOf(node);
    lane.inflight--;
    if (lane.queue.size > 0) this.#scheduleFlush();
    if (cancelReason !== undefined) {
      try {
        lane.backend.cancel(id, cancelReason);
      } catch (error) {
        console.error(`asyncflow: backend '${lane.backend.name}' failed to cancel ${id}:`, error);
      }
    }
  }

  /** An attempt failed: retry it if the policy says so, else fail the task. */
  #attemptFailed(node: TaskNode, error: unknown): void {
    if (node.settled) return;
    this.#leaveBackend(node);
    const delay = retryDelay(node.options.retries, error, node.attempt);
    if (delay === undefined) {
      this.#settle(node, "FAILED", error);
      return;
    }
    this.#leaveRunning(node);
    this.#stats.retried++;
    if (this.#listeners.length > 0) {
      this.#emit("retried", node, {
        attempt: node.attempt,
        error: errorInfo(error),
        delayMs: delay,
      });
    }
    node.attempt++;
    node.phase = "ready";
    setFutureState(node.future, "PENDING");
    const again = () => {
      node.timer = undefined;
      if (node.settled) return;
      if (node.kind === "block") {
        this.#readyBlocks.push(node);
        this.#scheduleFlush();
      } else {
        this.#enqueue(node);
      }
    };
    if (delay > 0) node.timer = setTimeout(again, delay);
    else again();
  }

  // ---------------------------------------------------------------- settling

  #cancel(node: TaskNode, reason: unknown): boolean {
    if (node.settled) return false;
    this.#settle(node, "CANCELLED", new CancelledError(node.uid, reason));
    return true;
  }

  /**
   * Makes a node final and propagates: dependents become ready, fail with
   * `DependencyFailureError` or are cancelled; a failed or cancelled block
   * cancels its children; a block whose body returned ends with its last
   * child. Iterative, so long chains cannot overflow the stack.
   */
  #settle(first: TaskNode, firstState: TaskState, firstOutcome: unknown, resumed = false): void {
    const work: [TaskNode, TaskState, unknown][] = [[first, firstState, firstOutcome]];
    for (let item = work.pop(); item !== undefined; item = work.pop()) {
      const [node, state, outcome] = item;
      if (node.settled) continue;
      if (state === "CANCELLED") {
        this.#leaveBackend(node, (outcome as CancelledError).reason ?? "cancelled");
      } else this.#leaveBackend(node);
      this.#leaveRunning(node);
      node.phase = "settled";
      node.unlisten?.();
      this.#live.delete(node);
      settleFuture(node.future, state, outcome);
      if (state === "DONE") this.#stats.done++;
      else if (state === "FAILED") this.#stats.failed++;
      else this.#stats.cancelled++;
      if (this.#listeners.length > 0) {
        if (state !== "DONE") {
          this.#emit(state === "FAILED" ? "failed" : "cancelled", node, {
            error: errorInfo(outcome),
          });
        } else {
          const extra: Partial<TaskEvent> = { value: valueInfo(outcome) };
          if (node.memoKey !== undefined) {
            extra.memoKey = node.memoKey;
            if (this.#recordResults) extra.result = outcome;
          }
          if (resumed && node === first) extra.resumed = true;
          this.#emit("done", node, extra);
        }
      }

      if (node.children) {
        for (const child of node.children) {
          work.push([
            child,
            "CANCELLED",
            new CancelledError(child.uid, `its block ${node.uid} was ${state.toLowerCase()}`),
          ]);
        }
      }
      const dependents = node.dependents;
      if (dependents) {
        for (const d of dependents) {
          if (d.settled) continue;
          if (state === "DONE") {
            if (--d.waiting === 0) this.#ready(d);
          } else if (state === "FAILED") {
            work.push([d, "FAILED", new DependencyFailureError(d, [node], outcome)]);
          } else {
            work.push([
              d,
              "CANCELLED",
              new CancelledError(d.uid, `dependency ${node.uid} was cancelled`),
            ]);
          }
        }
      }
      const parent = node.parent;
      if (parent && !parent.settled) {
        parent.children!.delete(node);
        if (parent.bodyReturned && parent.children!.size === 0) {
          work.push([parent, "DONE", parent.bodyValue]);
        }
      }
      // Release everything the finished task held.
      node.fn = undefined;
      node.args = EMPTY;
      node.dependents = node.children = node.parent = undefined;
      node.command = node.bodyValue = node.unlisten = undefined;
    }
  }

  #emit(type: TaskEventType, node: TaskNode, extra?: Partial<TaskEvent>): void {
    const event: TaskEvent = {
      type,
      time: now(),
      uid: node.uid,
      name: node.name,
      kind: node.kind,
      workflowId: node.workflowId,
      ...extra,
    };
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        console.error("asyncflow: an event listener threw:", error);
      }
    }
  }
}

/**
 * Declares the engine `AsyncDisposable` (for `await using`) in a form that
 * survives declaration emit, which drops computed symbol keys from classes.
 */
export interface WorkflowEngine extends AsyncDisposable {}

const EMPTY: readonly unknown[] = Object.freeze([]);

/** What is wrong with a command an executable body returned, or `undefined`. */
function commandProblem(command: unknown): string | undefined {
  if (typeof command === "string") {
    return command.trim() === "" ? "its body returned an empty command" : undefined;
  }
  if (Array.isArray(command)) {
    if (command.length === 0) return "its body returned an empty argv array";
    const bad = command.findIndex((a) => typeof a !== "string");
    if (bad >= 0) return `argv[${bad}] must be a string, got ${describe(command[bad])}`;
    if (command[0] === "") return "argv[0] (the program) is empty";
    return undefined;
  }
  return `its body must return a command string or an argv array, got ${describe(command)}`;
}

function randomHex(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(Math.ceil(length / 2)));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("").slice(0, length);
}
