/**
 * One worker of the pool, seen from the pool's thread: how to post to it,
 * its claim cells and the jobs it holds, in the order it runs them. Jobs
 * sent in one turn go out in one message.
 *
 * @module
 */
import type { TaskSpec } from "../../src/backend.ts";
import { type SpawnedWorker, type SpawnOptions, spawnWorker } from "./_runtime.ts";
import { type Claims, claimsFor, type PoolMode } from "./claims.ts";
import {
  CLAIM_SLOTS,
  ERROR,
  EXIT,
  type FromWorker,
  INIT,
  JOB_FIELDS,
  JOBS,
  type JobUsage,
  OK,
  READY,
  SKIPPED,
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
  /**
   * The worker its arguments' buffers were moved to (`transfer()`), if any: they are detached
   * here, so no other worker can be given the task.
   */
  movedTo: string | undefined;
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
  /** The worker answered a dispatch that was not withdrawn (with what it used, if measured). */
  answered(
    worker: PoolWorker,
    dispatch: Dispatch,
    ok: boolean,
    value: unknown,
    usage: JobUsage | undefined,
  ): void;
  /** A dispatch could not be posted (its arguments cannot be cloned); it never reached the worker. */
  unsendable(worker: PoolWorker, dispatch: Dispatch, error: unknown): void;
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
 * worker.flush();
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
  readonly #claims: Claims;
  readonly #spawned: SpawnedWorker;
  readonly #events: PoolWorkerEvents;
  /** The jobs message being filled: the tag, then `JOB_FIELDS` entries per job. */
  #outbox: unknown[] = [JOBS];
  #outboxTransfer: ArrayBuffer[] = [];
  /** The dispatches in `#outbox`, in order. */
  #outboxJobs: Dispatch[] = [];

  /**
   * Starts the worker and sends it the task modules.
   *
   * @param label The worker's label.
   * @param script The worker script's URL.
   * @param modules The task modules' URLs.
   * @param options Spawn options.
   * @param events Receives answers and deaths.
   * @param mode How jobs are claimed (`claims.ts`).
   * @param measure Whether the worker measures each job (`JobUsage`).
   */
  constructor(
    label: string,
    script: URL,
    modules: readonly string[],
    options: SpawnOptions,
    events: PoolWorkerEvents,
    mode: PoolMode,
    measure: boolean,
  ) {
    this.label = label;
    this.#events = events;
    this.#claims = claimsFor(mode, CLAIM_SLOTS);
    this.#spawned = spawnWorker(script, options, {
      message: (data) => this.#receive(data as FromWorker),
      death: (why) => this.#die(why),
    });
    this.#spawned.post([INIT, [...modules], this.#claims.buffer, measure], []);
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
   * Gives a task to the worker; it goes out with the others of this turn at {@linkcode flush}.
   *
   * @param task The task.
   * @returns The dispatch.
   */
  send(task: PoolTask): Dispatch {
    let slot = 0;
    while (this.jobs.some((d) => d.slot === slot)) slot++;
    this.#claims.pending(slot);
    const dispatch: Dispatch = { task, worker: this, slot, withdrawn: false };
    this.jobs.push(dispatch);
    this.sent++;
    const args = task.spec.args;
    this.#outbox.push(slot, task.address.module, task.address.name, args);
    this.#outboxJobs.push(dispatch);
    for (const arg of args) {
      const buffers = transferList(arg);
      if (buffers.length === 0) continue;
      this.#outboxTransfer.push(...buffers);
      task.movedTo = this.label;
    }
    return dispatch;
  }

  /** Posts the jobs given since the last flush, in one message. */
  flush(): void {
    if (this.#outboxJobs.length === 0) return;
    const [message, transfer, dispatches] = [this.#outbox, this.#outboxTransfer, this.#outboxJobs];
    this.#outbox = [JOBS];
    this.#outboxTransfer = [];
    this.#outboxJobs = [];
    if (this.dead) return;
    try {
      this.#spawned.post(message, transfer);
    } catch {
      // Some job's arguments cannot be cloned: send them one by one to fail only those.
      dispatches.forEach((dispatch, i) => this.#postAlone(dispatch, message, i));
    }
  }

  #postAlone(dispatch: Dispatch, batch: unknown[], index: number): void {
    const at = 1 + index * JOB_FIELDS;
    const args = batch[at + 3] as unknown[];
    try {
      this.#spawned.post([JOBS, ...batch.slice(at, at + JOB_FIELDS)], args.flatMap(transferList));
    } catch (error) {
      this.jobs.splice(this.jobs.indexOf(dispatch), 1);
      this.#events.unsendable(this, dispatch, error);
    }
  }

  /**
   * Takes a dispatch back if the worker has not started it.
   *
   * @returns Whether it was taken back (the worker will skip it).
   */
  withdraw(dispatch: Dispatch): boolean {
    if (dispatch.withdrawn) return true;
    if (!this.#claims.withdraw(dispatch.slot)) return false;
    dispatch.withdrawn = true;
    return true;
  }

  /** The claim state of a dispatch (`STARTED`, `FINISHED`, ...). */
  state(dispatch: Dispatch): number {
    return this.#claims.state(dispatch.slot);
  }

  /** Stops the worker; its pending answers are dropped. */
  terminate(): Promise<void> {
    this.dead = true;
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    return this.#spawned.terminate();
  }

  #receive(message: FromWorker): void {
    if (this.dead) return;
    switch (message[0]) {
      case OK:
        return this.#answer(true, message[1], message[2]);
      case ERROR:
        return this.#answer(false, withFields(message[1], message[2]), message[3]);
      case SKIPPED:
        return this.#answer(false, undefined, undefined);
      case READY:
        this.ready = true;
        return;
      case EXIT:
        return this.#die(`the task called ${message[1]}`);
      default:
        return this.#die(`it sent a message the pool does not understand: ${String(message)}`);
    }
  }

  /** The worker answers its jobs in order: this answer is the oldest job's. */
  #answer(ok: boolean, value: unknown, usage: JobUsage | undefined): void {
    const dispatch = this.jobs.shift();
    if (dispatch === undefined) return this.#die("it answered a job it was never sent");
    if (!dispatch.withdrawn) this.#events.answered(this, dispatch, ok, value, usage);
  }

  #die(why: string): void {
    if (this.dead) return;
    void this.terminate().catch(() => {});
    this.#events.died(this, why);
  }
}

/** Puts back on a cloned error the fields a structured clone drops (a custom `name`, `code`). */
function withFields(error: unknown, fields: Record<string, unknown> | undefined): unknown {
  if (fields !== undefined && typeof error === "object" && error !== null) {
    try {
      Object.assign(error, fields);
    } catch { /* a read-only field: keep the clone as it is */ }
  }
  return error;
}
