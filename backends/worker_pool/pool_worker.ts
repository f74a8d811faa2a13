/**
 * One worker of the pool, seen from the pool's thread: its Comlink proxy,
 * its claim cells and the jobs it holds, in the order it runs them.
 *
 * @module
 */
import * as Comlink from "comlink";
import type { TaskSpec } from "../../src/backend.ts";
import { type SpawnedWorker, type SpawnOptions, spawnWorker } from "./_runtime.ts";
import {
  CLAIM_SLOTS,
  isExitNote,
  type JobMessage,
  PENDING,
  WITHDRAWN,
  type WorkerApi,
} from "./protocol.ts";
import type { TaskAddress } from "./task_registry.ts";
import { transferList } from "./transfer.ts";

/** A function task the pool holds: waiting in its queue or sent to a worker. */
export interface PoolTask {
  /** The engine's submission. */
  spec: TaskSpec;
  /** Where the worker finds the function. */
  address: TaskAddress;
  /** Higher first. */
  priority: number;
  /** Arrival order, set by the queue. */
  seq: number;
  /** When the pool received it (ms, `performance.now()`). */
  submittedAt: number;
  /** When a worker started it, 0 until then. */
  startedAt: number;
  /** Set when the engine cancelled it. */
  cancelled: boolean;
  /** The worker that holds it now, if any. */
  dispatch: Dispatch | undefined;
}

/** A task sent to one worker. */
export interface Dispatch {
  /** The task. */
  task: PoolTask;
  /** The worker. */
  worker: PoolWorker;
  /** The task's claim cell in that worker. */
  slot: number;
  /** The pool took it back before it started; the worker's answer is ignored. */
  withdrawn: boolean;
}

/** What a worker tells the pool. */
export interface PoolWorkerEvents {
  /** The worker answered a dispatch that was not withdrawn. */
  answered(worker: PoolWorker, dispatch: Dispatch, ok: boolean, value: unknown): void;
  /** The worker died (not by `terminate()`). */
  died(worker: PoolWorker, why: string): void;
}

/**
 * A worker of the pool.
 *
 * @example
 * ```ts ignore
 * const worker = new PoolWorker("worker-1", scriptUrl, moduleUrls, { name: "worker-1" }, events);
 * const dispatch = worker.send(task);
 * ```
 */
export class PoolWorker {
  /** The label traces show, e.g. `worker-3`. */
  readonly label: string;
  /** Dispatches not yet answered, in the order the worker runs them (withdrawn ones included). */
  readonly jobs: Dispatch[] = [];
  /** Jobs sent over the worker's life. */
  sent = 0;
  /** No more jobs go to it; it ends when its jobs are done. */
  retiring = false;
  /** Terminated or died. */
  dead = false;
  /** The worker script loaded and took the task modules: it can run jobs. */
  ready = false;
  /** It will be terminated once the answers sent before this dispatch have arrived. */
  doomed: Dispatch | undefined;
  /** Ends it after a while without work. */
  idleTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #cells: Int32Array;
  readonly #spawned: SpawnedWorker;
  readonly #run: (job: JobMessage) => Promise<unknown>;
  readonly #events: PoolWorkerEvents;

  /**
   * Starts the worker and sends it the task modules.
   *
   * @param label The worker's label.
   * @param script The worker script's URL.
   * @param modules The task modules' URLs.
   * @param options Spawn options.
   * @param events Receives answers and deaths.
   */
  constructor(
    label: string,
    script: URL,
    modules: readonly string[],
    options: SpawnOptions,
    events: PoolWorkerEvents,
  ) {
    this.label = label;
    this.#events = events;
    const shared = new SharedArrayBuffer(CLAIM_SLOTS * Int32Array.BYTES_PER_ELEMENT);
    this.#cells = new Int32Array(shared);
    this.#spawned = spawnWorker(script, options, {
      message: (data) => isExitNote(data) && this.#die(`the task called ${data.how}`),
      death: (why) => this.#die(why),
    });
    const remote = Comlink.wrap<WorkerApi>(this.#spawned.endpoint);
    // One proxy for all calls: each property access would make a new one.
    this.#run = remote.run as unknown as (job: JobMessage) => Promise<unknown>;
    (remote.init as unknown as (m: string[], s: SharedArrayBuffer) => Promise<void>)(
      [...modules],
      shared,
    )
      .then(() => (this.ready = true), () => {});
  }

  /** Jobs sent and neither answered nor withdrawn. */
  get live(): number {
    let n = 0;
    for (const d of this.jobs) if (!d.withdrawn) n++;
    return n;
  }

  /** The dispatch the worker runs now (or runs next once its withdrawn ones are skipped). */
  head(): Dispatch | undefined {
    return this.jobs.find((d) => !d.withdrawn);
  }

  /**
   * Sends a task to the worker.
   *
   * @param task The task.
   * @returns The dispatch.
   */
  send(task: PoolTask): Dispatch {
    let slot = 0;
    while (this.jobs.some((d) => d.slot === slot)) slot++;
    Atomics.store(this.#cells, slot, PENDING);
    const dispatch: Dispatch = { task, worker: this, slot, withdrawn: false };
    this.jobs.push(dispatch);
    this.sent++;
    const job: JobMessage = {
      slot,
      module: task.address.module,
      name: task.address.name,
      args: task.spec.args,
    };
    const buffers = task.spec.args.flatMap(transferList);
    this.#run(buffers.length > 0 ? Comlink.transfer(job, buffers) : job).then(
      (value) => this.#answer(dispatch, true, value),
      (error) => this.#answer(dispatch, false, error),
    );
    return dispatch;
  }

  /**
   * Takes a dispatch back if the worker has not started it.
   *
   * @returns Whether it was taken back (the worker will skip it).
   */
  withdraw(dispatch: Dispatch): boolean {
    if (dispatch.withdrawn) return true;
    if (Atomics.compareExchange(this.#cells, dispatch.slot, PENDING, WITHDRAWN) !== PENDING) {
      return false;
    }
    dispatch.withdrawn = true;
    return true;
  }

  /** The claim state of a dispatch (`STARTED`, `FINISHED`, ...). */
  state(dispatch: Dispatch): number {
    return Atomics.load(this.#cells, dispatch.slot);
  }

  /** Stops the worker; its pending answers are dropped. */
  terminate(): Promise<void> {
    this.dead = true;
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    return this.#spawned.terminate();
  }

  #answer(dispatch: Dispatch, ok: boolean, value: unknown): void {
    if (this.dead) return;
    const i = this.jobs.indexOf(dispatch);
    if (i >= 0) this.jobs.splice(i, 1);
    if (!dispatch.withdrawn) this.#events.answered(this, dispatch, ok, value);
  }

  #die(why: string): void {
    if (this.dead) return;
    void this.terminate().catch(() => {});
    this.#events.died(this, why);
  }
}
