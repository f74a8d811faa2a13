import type { Backend, BackendContext, TaskSpec } from "../../src/backend.ts";
import { ReadyQueue } from "../../src/ready_queue.ts";
import {
  describeFailure,
  describeUnsendable,
  MovedArgumentsError,
  WorkerCrashError,
} from "./errors.ts";
import { LatencySamples } from "./latency_stats.ts";
import type { PoolMode } from "./claims.ts";
import type { WorkerPoolOptions, WorkerPoolStats } from "./options.ts";
import { type Dispatch, type PoolTask, PoolWorker, type PoolWorkerEvents } from "./pool_worker.ts";
import { FINISHED, type JobUsage } from "./protocol.ts";
import { jobRecord } from "./job_record.ts";
import { PoolCommands } from "./pool_commands.ts";
import { HoldDepth } from "./hold_depth.ts";
import { resolvePoolOptions } from "./resolve_options.ts";
import { TaskRegistry } from "./task_registry.ts";

/**
 * Runs function tasks on a pool of web Workers (worker threads on Node),
 * over a lean `postMessage` protocol (`protocol.ts`) that sends several jobs
 * per message. Functions are addressed by module and export: the
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
 * ```ts
 * import assert from "node:assert/strict";
 * import { WorkflowEngine } from "@asyncflow/asyncflow";
 * import { WorkerPoolBackend } from "@asyncflow/asyncflow/worker_pool";
 * // A task module: usually `new URL("./tasks.ts", import.meta.url)`, inline here.
 * const url = "data:text/javascript,export const square = (n) => n * n;";
 * const tasks = await import(url);
 * const pool = new WorkerPoolBackend({ modules: [url], size: 2 });
 * await using flow = await WorkflowEngine.create({ backend: pool });
 * const square = flow.functionTask(tasks.square as (n: number) => number);
 * assert.deepEqual(await Promise.all([square(3), square(4)]), [9, 16]);
 * ```
 */
export class WorkerPoolBackend implements Backend {
  /** The name tasks route to. */
  readonly name: string;
  /** Tasks the pool takes at once: one per worker plus `maxQueue`. */
  readonly capacity: number;
  /** How jobs are claimed: `"shared-memory"`, or `"messages"` where there is no `SharedArrayBuffer`. */
  readonly mode: PoolMode;
  readonly #size: number;
  readonly #minWorkers: number;
  readonly #idleTimeout: number;
  readonly #maxTasksPerWorker: number;
  readonly #modules: readonly (URL | string)[];
  readonly #maxMemoryMb: number | undefined;
  readonly #commands: PoolCommands;
  readonly #script: URL;
  readonly #queue = new ReadyQueue<PoolTask>();
  readonly #tasks = new Map<string, PoolTask>();
  readonly #workers: PoolWorker[] = [];
  readonly #runTime = new LatencySamples();
  readonly #waitTime = new LatencySamples();
  readonly #events: PoolWorkerEvents = {
    answered: (worker, dispatch, ok, value, usage) =>
      this.#answered(worker, dispatch, ok, value, usage),
    unsendable: (worker, dispatch, error) => this.#unsendable(worker, dispatch, error),
    died: (worker, why) => this.#died(worker, why),
  };
  #ctx: BackendContext | undefined;
  /** Asked for, or (undefined) decided at attach: a recorded run measures. */
  #measure: boolean | undefined;
  #registry: TaskRegistry | undefined;
  #spawned = 0;
  #closed = false;
  readonly #hold: HoldDepth;
  #counts = { completed: 0, failed: 0, crashed: 0, retired: 0 };

  /**
   * Makes a pool; workers start at `attach` (`minWorkers`) and on demand.
   *
   * @param options Task modules, size and limits.
   * @throws {TypeError} When an option is out of range.
   * @throws {Error} Where there are no Workers (workerd), or `"shared-memory"` is asked for without `SharedArrayBuffer`.
   */
  constructor(options: WorkerPoolOptions) {
    const o = resolvePoolOptions(options);
    this.name = o.name;
    this.mode = o.mode;
    this.#hold = new HoldDepth(o.mode);
    this.capacity = o.capacity;
    this.#modules = o.modules;
    this.#script = o.script;
    this.#size = o.size;
    this.#minWorkers = o.minWorkers;
    this.#idleTimeout = o.idleTimeout;
    this.#maxTasksPerWorker = o.maxTasksPerWorker;
    this.#maxMemoryMb = o.maxMemoryMb;
    this.#measure = o.measureUsage;
    this.#commands = new PoolCommands(this.name, o.processes, o.measureUsage);
  }

  /**
   * Imports the task modules, starts `minWorkers` workers and keeps the
   * engine's report channel.
   *
   * @throws {Error} When a task module cannot be imported.
   */
  async attach(ctx: BackendContext): Promise<void> {
    this.#ctx = ctx;
    this.#measure ??= ctx.outputDir !== undefined;
    this.#registry = await TaskRegistry.load(this.#modules);
    this.#commands.attach(ctx);
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
        movedTo: undefined,
        dispatch: undefined,
      };
      this.#tasks.set(spec.id, task);
      this.#queue.push(task);
    }
    if (commands.length > 0) this.#commands.submit(commands);
    this.#dispatch();
  }

  /**
   * Stops a task: drops it from the queue, takes it back from a worker that
   * has not started it, or terminates the worker running it (and starts
   * another when work is waiting).
   */
  cancel(id: string, _reason: unknown): void {
    if (this.#commands.has(id)) return this.#commands.cancel(id);
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
      if (!later.withdrawn && worker.withdraw(later)) {
        this.#requeue(later.task, `its worker was ended to stop the cancelled task ${id}`);
      }
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
      this.#commands.shutdown(),
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

  /**
   * Hands queued tasks to workers: one to each idle worker first (starting
   * workers up to `size` while tasks remain), then round the workers that
   * are down to half their depth, filling them back up. A worker between
   * the two gets nothing yet: it has work, and refilling it by halves sends
   * half as many messages as refilling it one job per answer.
   */
  #dispatch(): void {
    const depth = this.#hold.depth;
    const open: PoolWorker[] = [];
    for (const w of this.#workers) if (this.#takes(w) && w.live <= depth / 2) open.push(w);
    for (const w of open) if (w.live === 0) this.#sendNext(w);
    while (this.#queue.size > 0 && !this.#closed && this.#workers.length < this.#size) {
      const fresh = this.#spawn();
      open.push(fresh);
      this.#sendNext(fresh);
    }
    for (let more = true; more && this.#queue.size > 0 && !this.#closed;) {
      more = false;
      for (const w of open) {
        if (w.jobs.length < depth && this.#takes(w)) more = this.#sendNext(w) || more;
      }
    }
    // What each worker got in this turn goes out as one message.
    for (const w of this.#workers) w.flush();
  }

  /** Whether a worker may be given jobs at all. */
  #takes(worker: PoolWorker): boolean {
    return !worker.retiring && worker.doomed === undefined && !worker.dead;
  }

  /** Sends the next task that was not cancelled, if any; whether one was sent. */
  #sendNext(worker: PoolWorker): boolean {
    if (this.#closed) return false;
    for (let task = this.#queue.pop(); task !== undefined; task = this.#queue.pop()) {
      if (task.cancelled) continue;
      this.#send(worker, task);
      return true;
    }
    return false;
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

  /** Puts a task its worker gave back in the queue again, unless its arguments moved there. */
  #requeue(task: PoolTask, why: string): void {
    task.dispatch = undefined;
    if (this.#closed || !this.#tasks.has(task.spec.id)) return;
    if (task.movedTo === undefined) return this.#queue.push(task);
    this.#tasks.delete(task.spec.id);
    this.#counts.failed++;
    this.#ctx!.failed(task.spec.id, new MovedArgumentsError(task.spec.id, task.movedTo, why));
  }

  #answered(
    worker: PoolWorker,
    dispatch: Dispatch,
    ok: boolean,
    value: unknown,
    usage: JobUsage | undefined,
  ): void {
    const task = dispatch.task;
    const id = task.spec.id;
    if (this.#tasks.get(id) === task) {
      this.#tasks.delete(id);
      if (usage !== undefined) this.#ctx!.ran?.(id, jobRecord(usage));
      const ms = performance.now() - task.startedAt;
      this.#runTime.add(ms);
      this.#hold.ran(ms);
      if (ok) {
        this.#counts.completed++;
        this.#ctx!.done(id, value);
      } else {
        this.#counts.failed++;
        this.#ctx!.failed(id, describeFailure(task, value));
      }
    }
    this.#moveOn(worker);
  }

  /** Arguments that cannot be cloned: the task fails, saying so, and the worker goes on. */
  #unsendable(worker: PoolWorker, dispatch: Dispatch, error: unknown): void {
    const task = dispatch.task;
    const id = task.spec.id;
    if (this.#tasks.get(id) === task) {
      this.#tasks.delete(id);
      this.#counts.failed++;
      this.#ctx!.failed(id, describeUnsendable(task, error));
    }
    this.#moveOn(worker);
  }

  /** After a job left a worker: report the next one running, end, retire or refill the worker. */
  #moveOn(worker: PoolWorker): void {
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
      if (last === undefined || last === head || last.task.movedTo !== undefined) continue;
      if (w.withdraw(last)) {
        this.#send(idle, last.task);
        idle.flush();
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
    const urls = this.#registry!.urls;
    const worker = new PoolWorker(
      label,
      this.#script,
      urls,
      options,
      this.#events,
      this.mode,
      this.#measure === true,
    );
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
        this.#requeue(task, why); // never ran, or its answer died with the worker: run it again
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
