import type { Backend, BackendContext, TaskSpec } from "../../src/backend.ts";
import { host } from "../../src/host/mod.ts";
import { ReadyQueue } from "../../src/ready_queue.ts";
import { LocalBackend } from "../../src/local_backend.ts";
import { WorkerCrashError } from "./errors.ts";
import { LatencySamples, type Percentiles } from "./latency_stats.ts";
import { type Dispatch, type PoolTask, PoolWorker, type PoolWorkerEvents } from "./pool_worker.ts";
import { FINISHED } from "./protocol.ts";
import { TaskRegistry } from "./task_registry.ts";

/**
 * Options of {@linkcode WorkerPoolBackend}.
 *
 * @example
 * ```ts
 * import type { WorkerPoolOptions } from "./worker_pool_backend.ts";
 * const options: WorkerPoolOptions = { modules: [new URL("./tasks.ts", import.meta.url)], size: 2 };
 * console.assert(options.size === 2);
 * ```
 */
export interface WorkerPoolOptions {
  /** The task modules: every function they export can run as a function task on the pool. */
  modules: readonly (URL | string)[];
  /** The name tasks route to. Default `"workers"`. */
  name?: string;
  /** The most workers at once. Default: the number of cores. */
  size?: number;
  /** Workers kept started even when idle. Default 0. */
  minWorkers?: number;
  /** An idle worker above `minWorkers` ends after this many ms. Default 30 000; `Infinity` keeps it. */
  idleTimeout?: number;
  /** Tasks the pool holds beyond one per worker; the engine keeps the rest. Default `4 × size`. */
  maxQueue?: number;
  /** A worker is replaced after running this many tasks. Default `Infinity`. */
  maxTasksPerWorker?: number;
  /** How many executable tasks run at once (as subprocesses). Default `size`. */
  processes?: number;
  /** Node only: each worker's heap limit in MiB; running out ends only that worker. */
  maxMemoryMb?: number;
  /**
   * The worker script. Default: the pool's own `worker.ts` (or `.js`) beside this module.
   * Bundles that embed it elsewhere (e.g. `bun build --compile`) point here.
   */
  workerScript?: URL;
}

/**
 * A snapshot of a pool, from {@linkcode WorkerPoolBackend.stats}. Times in ms.
 *
 * @example
 * ```ts
 * import type { WorkerPoolStats } from "./worker_pool_backend.ts";
 * const show = (s: WorkerPoolStats) => `${s.busy}/${s.workers} busy, ${s.queued} queued`;
 * console.assert(typeof show === "function");
 * ```
 */
export interface WorkerPoolStats {
  /** Workers started and not ended. */
  workers: number;
  /** Workers running a task. */
  busy: number;
  /** Workers waiting for one. */
  idle: number;
  /** Function tasks the pool holds that have not started. */
  queued: number;
  /** Function tasks finished with a value. */
  completed: number;
  /** Function tasks finished with an error (a crash included). */
  failed: number;
  /** Workers that died on their own (crash, exit, out-of-memory). */
  crashed: number;
  /** Workers ended by cancellation, recycling or idleness. */
  retired: number;
  /** How long function tasks ran, over the recent ones. */
  runTime: Percentiles;
  /** How long function tasks waited in the pool before a worker started them. */
  waitTime: Percentiles;
}

/**
 * Jobs a worker holds at once: the one it runs and a few next ones, so it
 * never waits for a message between short tasks. Held jobs have not started:
 * an idle worker takes them over, and cancelling one just withdraws it.
 */
const DEPTH = 4;
// The packed npm build ships this module as .js beside worker.js: follow this module's own extension.
const SCRIPT = new URL(
  import.meta.url.endsWith(".ts") ? "./worker.ts" : "./worker.js",
  import.meta.url,
);

/**
 * Runs function tasks on a pool of web Workers (worker threads on Node),
 * driven through Comlink. Functions are addressed by module and export: the
 * pool imports its `modules` and finds a task's function by identity, so
 * `flow.functionTask(tasks.simulate)` just works when `tasks` is one of them.
 * Arguments and results travel by structured clone, or by transfer when
 * marked with {@linkcode transfer}. Executable tasks run as subprocesses.
 *
 * Cancelling or timing out a running task terminates its worker and starts
 * another; a worker that dies fails its running task with a
 * {@linkcode WorkerCrashError} and is replaced.
 *
 * @example
 * ```ts ignore
 * import { WorkflowEngine } from "@asyncflow/asyncflow";
 * import { WorkerPoolBackend } from "@asyncflow/asyncflow/worker_pool";
 * import * as tasks from "./tasks.ts";
 * const pool = new WorkerPoolBackend({ modules: [new URL("./tasks.ts", import.meta.url)], size: 2 });
 * await using flow = await WorkflowEngine.create({ backend: pool });
 * const simulate = flow.functionTask(tasks.simulate);
 * console.log(await Promise.all([simulate(1), simulate(2)]));
 * ```
 */
export class WorkerPoolBackend implements Backend {
  /** The name tasks route to. */
  readonly name: string;
  /** Tasks the pool takes at once: one per worker plus `maxQueue`. */
  readonly capacity: number;
  readonly #size: number;
  readonly #minWorkers: number;
  readonly #idleTimeout: number;
  readonly #maxTasksPerWorker: number;
  readonly #modules: readonly (URL | string)[];
  readonly #maxMemoryMb: number | undefined;
  readonly #local: LocalBackend;
  readonly #script: URL;
  readonly #queue = new ReadyQueue<PoolTask>();
  readonly #tasks = new Map<string, PoolTask>();
  readonly #executables = new Set<string>();
  readonly #workers: PoolWorker[] = [];
  readonly #runTime = new LatencySamples();
  readonly #waitTime = new LatencySamples();
  readonly #events: PoolWorkerEvents = {
    answered: (worker, dispatch, ok, value) => this.#answered(worker, dispatch, ok, value),
    died: (worker, why) => this.#died(worker, why),
  };
  #ctx: BackendContext | undefined;
  #registry: TaskRegistry | undefined;
  #spawned = 0;
  #closed = false;
  #counts = { completed: 0, failed: 0, crashed: 0, retired: 0 };

  /**
   * Makes a pool; workers start at `attach` (`minWorkers`) and on demand.
   *
   * @param options Task modules, size and limits.
   * @throws {TypeError} When an option is out of range.
   */
  constructor(options: WorkerPoolOptions) {
    if (options === null || typeof options !== "object" || !Array.isArray(options.modules)) {
      throw new TypeError(
        "WorkerPoolBackend: 'modules' must be an array of task module URLs, " +
          `got ${JSON.stringify(options?.modules)}`,
      );
    }
    this.name = options.name ?? "workers";
    this.#modules = options.modules;
    if (options.workerScript !== undefined && !(options.workerScript instanceof URL)) {
      throw new TypeError(
        `WorkerPoolBackend: 'workerScript' must be a URL, got ${
          JSON.stringify(options.workerScript)
        }`,
      );
    }
    this.#script = options.workerScript ?? SCRIPT;
    this.#size = positiveInteger("size", options.size ?? host.cpuCount());
    this.#minWorkers = count("minWorkers", options.minWorkers ?? 0);
    if (this.#minWorkers > this.#size) {
      throw new TypeError(
        `WorkerPoolBackend: 'minWorkers' (${this.#minWorkers}) exceeds 'size' (${this.#size})`,
      );
    }
    this.#idleTimeout = duration("idleTimeout", options.idleTimeout ?? 30_000);
    const recycle = options.maxTasksPerWorker ?? Infinity;
    this.#maxTasksPerWorker = recycle === Infinity
      ? Infinity
      : positiveInteger("maxTasksPerWorker", recycle);
    this.capacity = this.#size + count("maxQueue", options.maxQueue ?? 4 * this.#size);
    this.#maxMemoryMb = options.maxMemoryMb === undefined
      ? undefined
      : positiveInteger("maxMemoryMb", options.maxMemoryMb);
    this.#local = new LocalBackend({
      name: this.name,
      processes: positiveInteger("processes", options.processes ?? this.#size),
    });
  }

  /**
   * Imports the task modules, starts `minWorkers` workers and keeps the
   * engine's report channel.
   *
   * @throws {Error} When a task module cannot be imported.
   */
  async attach(ctx: BackendContext): Promise<void> {
    this.#ctx = ctx;
    this.#registry = await TaskRegistry.load(this.#modules);
    const forget = (id: string) => this.#executables.delete(id);
    this.#local.attach({
      engineUid: ctx.engineUid,
      workDir: ctx.workDir,
      running: (id, where) => ctx.running(id, where),
      done: (id, value) => (forget(id), ctx.done(id, value)),
      failed: (id, error) => (forget(id), ctx.failed(id, error)),
      cancelled: (id, reason) => (forget(id), ctx.cancelled(id, reason)),
    });
    this.#keepWarm();
  }

  /** Queues function tasks for the workers and hands commands to the subprocess runner. */
  submit(tasks: readonly TaskSpec[]): void {
    const ctx = this.#ctx!;
    const registry = this.#registry!;
    const commands: TaskSpec[] = [];
    const now = performance.now();
    for (const spec of tasks) {
      if (spec.kind === "executable") {
        this.#executables.add(spec.id);
        commands.push(spec);
        continue;
      }
      const address = registry.addressOf(spec.fn);
      if (address === undefined) {
        ctx.failed(spec.id, registry.unaddressable(spec.fn, spec.name));
        continue;
      }
      const task: PoolTask = {
        spec,
        address,
        priority: spec.priority,
        seq: 0,
        submittedAt: now,
        startedAt: 0,
        cancelled: false,
        dispatch: undefined,
      };
      this.#tasks.set(spec.id, task);
      this.#queue.push(task);
    }
    if (commands.length > 0) this.#local.submit(commands);
    this.#dispatch();
  }

  /**
   * Stops a task: drops it from the queue, takes it back from a worker that
   * has not started it, or terminates the worker running it (and starts
   * another when work is waiting).
   */
  cancel(id: string, _reason: unknown): void {
    if (this.#executables.has(id)) return this.#local.cancel(id);
    const task = this.#tasks.get(id);
    if (task === undefined) return;
    this.#tasks.delete(id);
    task.cancelled = true;
    const dispatch = task.dispatch;
    if (dispatch === undefined) return; // still queued: skipped when popped
    const worker = dispatch.worker;
    if (worker.withdraw(dispatch)) return;
    // It started. Take back what waits behind it, then end its worker,
    // unless it finished meanwhile (its answer is then ignored).
    for (const later of worker.jobs.slice(worker.jobs.indexOf(dispatch) + 1)) {
      if (!later.withdrawn && worker.withdraw(later)) this.#requeue(later.task);
    }
    if (worker.state(dispatch) === FINISHED) return;
    worker.doomed = dispatch;
    this.#endIfDoomed(worker);
  }

  /** Terminates every worker and subprocess; resolves when they are gone. */
  async shutdown(): Promise<void> {
    this.#closed = true;
    this.#tasks.clear();
    while (this.#queue.pop()) { /* drop what never started */ }
    const workers = this.#workers.splice(0);
    await Promise.all([
      ...workers.map((w) => w.terminate().catch(() => {})),
      this.#local.shutdown(),
    ]);
  }

  /**
   * Workers, queue and timings.
   *
   * @returns A fresh snapshot.
   */
  stats(): WorkerPoolStats {
    let busy = 0;
    for (const w of this.#workers) if (w.live > 0) busy++;
    return {
      workers: this.#workers.length,
      busy,
      idle: this.#workers.length - busy,
      queued: this.#tasks.size - busy,
      ...this.#counts,
      runTime: this.#runTime.percentiles(),
      waitTime: this.#waitTime.percentiles(),
    };
  }

  // ---------------------------------------------------------------- dispatch

  #dispatch(): void {
    while (this.#queue.size > 0 && !this.#closed) {
      const worker = this.#pickWorker();
      if (worker === undefined) return;
      const task = this.#queue.pop()!;
      if (!task.cancelled) this.#send(worker, task);
    }
  }

  /** An idle worker, else a new one, else the least loaded that can hold another job. */
  #pickWorker(): PoolWorker | undefined {
    let next: PoolWorker | undefined;
    let nextLive = DEPTH;
    for (const w of this.#workers) {
      if (w.retiring || w.doomed) continue;
      const live = w.live;
      if (live === 0) return w;
      if (live < nextLive && w.jobs.length < DEPTH) [next, nextLive] = [w, live];
    }
    if (this.#workers.length < this.#size) return this.#spawn();
    return next;
  }

  #send(worker: PoolWorker, task: PoolTask): void {
    if (worker.idleTimer !== undefined) {
      clearTimeout(worker.idleTimer);
      worker.idleTimer = undefined;
    }
    const dispatch = worker.send(task);
    task.dispatch = dispatch;
    if (worker.sent >= this.#maxTasksPerWorker) worker.retiring = true;
    if (worker.head() === dispatch) this.#started(dispatch);
  }

  #started(dispatch: Dispatch): void {
    const task = dispatch.task;
    if (task.startedAt !== 0) return;
    task.startedAt = performance.now();
    this.#waitTime.add(task.startedAt - task.submittedAt);
    this.#ctx!.running(task.spec.id, dispatch.worker.label);
  }

  #requeue(task: PoolTask): void {
    task.dispatch = undefined;
    if (!this.#closed && this.#tasks.has(task.spec.id)) this.#queue.push(task);
  }

  #answered(worker: PoolWorker, dispatch: Dispatch, ok: boolean, value: unknown): void {
    const task = dispatch.task;
    const id = task.spec.id;
    if (this.#tasks.get(id) === task) {
      this.#tasks.delete(id);
      this.#runTime.add(performance.now() - task.startedAt);
      if (ok) {
        this.#counts.completed++;
        this.#ctx!.done(id, value);
      } else {
        this.#counts.failed++;
        this.#ctx!.failed(id, describeFailure(task, value));
      }
    }
    const head = worker.head();
    if (head !== undefined) this.#started(head);
    if (this.#endIfDoomed(worker)) return;
    if (worker.retiring && worker.live === 0) return this.#retire(worker);
    this.#dispatch();
    if (worker.live === 0) this.#steal(worker) || this.#idle(worker);
  }

  /** An idle worker takes a job another worker holds but has not started. */
  #steal(idle: PoolWorker): boolean {
    for (const w of this.#workers) {
      if (w === idle || w.doomed) continue;
      const head = w.head();
      const last = w.jobs.findLast((d) => !d.withdrawn);
      if (last === undefined || last === head) continue;
      if (w.withdraw(last)) {
        this.#send(idle, last.task);
        return true;
      }
    }
    return false;
  }

  #idle(worker: PoolWorker): void {
    if (this.#idleTimeout === Infinity || worker.idleTimer !== undefined) return;
    if (this.#workers.length <= this.#minWorkers) return;
    worker.idleTimer = setTimeout(() => {
      worker.idleTimer = undefined;
      if (worker.live === 0 && this.#workers.length > this.#minWorkers) this.#retire(worker);
    }, this.#idleTimeout);
  }

  // ---------------------------------------------------------------- lifecycle

  #spawn(): PoolWorker {
    const label = `worker-${++this.#spawned}`;
    const options = {
      name: `asyncflow-${label}`,
      ...(this.#maxMemoryMb ? { maxMemoryMb: this.#maxMemoryMb } : {}),
    };
    const worker = new PoolWorker(label, this.#script, this.#registry!.urls, options, this.#events);
    this.#workers.push(worker);
    return worker;
  }

  #keepWarm(): void {
    while (!this.#closed && this.#workers.length < this.#minWorkers) this.#idle(this.#spawn());
  }

  /** Ends a worker marked for cancellation once the answers before its doomed job arrived. */
  #endIfDoomed(worker: PoolWorker): boolean {
    if (
      worker.doomed === undefined || worker.head() !== worker.doomed && worker.head() !== undefined
    ) {
      return false;
    }
    this.#counts.retired++;
    this.#remove(worker, "it was terminated to stop a cancelled task");
    return true;
  }

  #retire(worker: PoolWorker): void {
    this.#counts.retired++;
    this.#remove(worker, "it was retired");
  }

  #died(worker: PoolWorker, why: string): void {
    this.#counts.crashed++;
    // A worker that died before it was ready cannot load its script: a replacement would die
    // the same way, so what it held fails (retries follow each task's policy) instead of looping.
    this.#remove(worker, worker.ready ? why : `it failed to start: ${why}`, !worker.ready);
  }

  /**
   * Takes a worker out of the pool: what it held and had not started goes
   * back to the queue, what it was running fails, and work goes on.
   */
  #remove(worker: PoolWorker, why: string, failHeld = false): void {
    const i = this.#workers.indexOf(worker);
    if (i >= 0) this.#workers.splice(i, 1);
    if (!worker.dead) void worker.terminate().catch(() => {});
    for (const dispatch of worker.jobs.splice(0)) {
      const task = dispatch.task;
      if (dispatch.withdrawn || this.#tasks.get(task.spec.id) !== task) continue;
      if (!failHeld && (worker.withdraw(dispatch) || worker.state(dispatch) === FINISHED)) {
        this.#requeue(task); // never ran, or its answer died with the worker: run it again
        continue;
      }
      this.#tasks.delete(task.spec.id);
      this.#counts.failed++;
      this.#ctx!.failed(task.spec.id, new WorkerCrashError(task.spec.id, worker.label, why));
    }
    if (this.#closed) return;
    this.#dispatch();
    this.#keepWarm();
  }
}

/** The task's error, with a hint when the arguments could not be sent at all. */
function describeFailure(task: PoolTask, error: unknown): unknown {
  if (error instanceof Error && error.name === "DataCloneError") {
    return new TypeError(
      `Task '${task.spec.name}' (${task.spec.id}): its arguments cannot be sent to a worker ` +
        `(structured clone): ${error.message}`,
      { cause: error },
    );
  }
  return error;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new TypeError(`WorkerPoolBackend: '${name}' must be a positive integer, got ${value}`);
  }
  return value;
}

function count(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new TypeError(
      `WorkerPoolBackend: '${name}' must be a non-negative integer, got ${value}`,
    );
  }
  return value;
}

function duration(name: string, value: number): number {
  if (value !== Infinity && (!Number.isFinite(value) || value < 0)) {
    throw new TypeError(
      `WorkerPoolBackend: '${name}' must be a non-negative number of ms, got ${value}`,
    );
  }
  return value;
}
