import type { TaskKind, TaskState } from "./task_state.ts";

/** The engine's record behind a pending future: `cancel()` reaches the task through it. */
export interface FutureOwner {
  /** Cancels the task; `false` if it had already finished. */
  cancel(reason: unknown): boolean;
  /**
   * The error an await of this future made now rejects with at once, or
   * `undefined`: set while the awaiting code is the body of a block that was
   * stopped, so that the body ends there.
   */
  awaitError(): unknown;
}

let settle: (future: TaskFuture<unknown>, state: TaskState, outcome: unknown) => void;
let setPendingState: (future: TaskFuture<unknown>, state: "PENDING" | "RUNNING") => void;
let owner: (future: TaskFuture<unknown>) => FutureOwner | undefined;

/**
 * The handle a task call returns at once. Await it (or pass it to
 * `Promise.all`/`Promise.race`) for the task's result; pass it as an argument
 * to another task to make a dependency.
 *
 * A `TaskFuture` is a thenable, not a `Promise`: it creates a promise only
 * when someone calls `then`. A task that fails while only other tasks depend
 * on it therefore never produces an unhandled rejection: its failure belongs
 * to its dependents, which fail with `DependencyFailureError`.
 *
 * @typeParam T The value the task produces.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WorkflowEngine } from "@asyncflow/asyncflow";
 * await using flow = await WorkflowEngine.create();
 * const double = flow.functionTask((n: number) => n * 2);
 * const f = double(21);
 * assert.equal(f.state, "PENDING");
 * assert.equal(await f, 42);
 * assert.equal(f.state as string, "DONE");
 * ```
 */
export class TaskFuture<T> implements PromiseLike<T> {
  /** The engine-unique id, e.g. `task.000042` or `block.000007`. */
  readonly uid: string;
  /**
   * The task's name: the options' `name`, else the function's, else where it was defined; under
   * its block's name (`point[3]/generate`), with its key or, for a block, its primitive arguments.
   */
  readonly name: string;
  /** What kind of task this future stands for. */
  readonly kind: TaskKind;
  /** The workflow this task belongs to (from `workflowScope`, an option, or its block). */
  readonly workflowId: string;
  #state: TaskState = "PENDING";
  #outcome: unknown = undefined;
  #owner: FutureOwner | undefined;
  #promise: Promise<T> | undefined;
  // Typed without T so that TaskFuture<T> stays assignable to TaskFuture<unknown>.
  #resolve: ((value: unknown) => void) | undefined;
  #reject: ((error: unknown) => void) | undefined;

  static {
    settle = (future, state, outcome) => future.#settle(state, outcome);
    setPendingState = (future, state) => {
      if (future.#owner) future.#state = state;
    };
    owner = (future) => future.#owner;
  }

  /** @internal Futures are made by the engine; user code receives them from task calls. */
  constructor(uid: string, name: string, kind: TaskKind, workflowId: string, owner: FutureOwner) {
    this.uid = uid;
    this.name = name;
    this.kind = kind;
    this.workflowId = workflowId;
    this.#owner = owner;
  }

  /** The current state, readable at any time without awaiting. */
  get state(): TaskState {
    return this.#state;
  }

  /** `true` once the task is `DONE`, `FAILED` or `CANCELLED`. */
  get settled(): boolean {
    return this.#owner === undefined;
  }

  /**
   * The result of a `DONE` task.
   *
   * @throws {Error} When the task is not `DONE`.
   */
  get value(): T {
    if (this.#state !== "DONE") {
      throw new Error(`Task ${this.uid} ('${this.name}') has no value: it is ${this.#state}`);
    }
    return this.#outcome as T;
  }

  /** The error of a `FAILED` or `CANCELLED` task, `undefined` otherwise. */
  get error(): unknown {
    return this.#state === "FAILED" || this.#state === "CANCELLED" ? this.#outcome : undefined;
  }

  /**
   * Cancels the task: it rejects with `CancelledError` at once, and so do its
   * dependents. A pending task never runs. A running command is killed with
   * its process group, a function on a worker has its worker terminated. A
   * function running in this process, or a block body, cannot be interrupted
   * from outside: its `taskContext().signal` aborts and its result is ignored;
   * a block also cancels everything it started, and its body, if still
   * running, is stopped at its next task call or await of an unfinished task
   * future (see `docs/cancellation.md`).
   *
   * @param reason Why; it becomes `CancelledError.reason`.
   * @returns `true` if the task was cancelled, `false` if it had already finished.
   */
  cancel(reason?: unknown): boolean {
    return this.#owner ? this.#owner.cancel(reason) : false;
  }

  /**
   * Attaches callbacks like `Promise.prototype.then`.
   *
   * @param onFulfilled Called with the result.
   * @param onRejected Called with the error.
   * @returns A promise for the callback's result.
   */
  then<A = T, B = never>(
    onFulfilled?: ((value: T) => A | PromiseLike<A>) | null,
    // deno-lint-ignore no-explicit-any -- as Promise#then: lets callers write (e: Error) => ...
    onRejected?: ((reason: any) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.#awaited().then(onFulfilled, onRejected);
  }

  /**
   * Attaches an error callback like `Promise.prototype.catch`.
   *
   * @param onRejected Called with the error.
   * @returns A promise for the result or the callback's result.
   */
  // deno-lint-ignore no-explicit-any -- as Promise#catch: lets callers write (e: Error) => ...
  catch<B = never>(onRejected?: ((reason: any) => B | PromiseLike<B>) | null): Promise<T | B> {
    return this.#awaited().catch(onRejected);
  }

  /**
   * Attaches a callback run on settlement like `Promise.prototype.finally`.
   *
   * @param onFinally Called once the task is final.
   * @returns A promise that settles like this future.
   */
  finally(onFinally?: (() => void) | null): Promise<T> {
    return this.#awaited().finally(onFinally);
  }

  /** The tag shown by `String(future)` and inspectors. */
  get [Symbol.toStringTag](): string {
    return `TaskFuture ${this.uid} ${this.#state}`;
  }

  /** The promise an await gets: the task's, unless the awaiting block body was stopped. */
  #awaited(): Promise<T> {
    const stop = this.#owner?.awaitError();
    return stop === undefined ? this.#promiseOf() : Promise.reject(stop);
  }

  #promiseOf(): Promise<T> {
    if (this.#promise) return this.#promise;
    if (this.#state === "DONE") return (this.#promise = Promise.resolve(this.#outcome as T));
    if (this.#owner === undefined) return (this.#promise = Promise.reject(this.#outcome));
    return (this.#promise = new Promise<T>((resolve, reject) => {
      this.#resolve = resolve as (value: unknown) => void;
      this.#reject = reject;
    }));
  }

  #settle(state: TaskState, outcome: unknown): void {
    this.#state = state;
    this.#outcome = outcome;
    this.#owner = undefined;
    if (state === "DONE") this.#resolve?.(outcome);
    else this.#reject?.(outcome);
    this.#resolve = this.#reject = undefined;
  }
}

/** @internal Settles a future: used by the engine only. */
export function settleFuture(
  future: TaskFuture<unknown>,
  state: TaskState,
  outcome: unknown,
): void {
  settle(future, state, outcome);
}

/** @internal Moves an unsettled future between `PENDING` and `RUNNING` (retries go back). */
export function setFutureState(future: TaskFuture<unknown>, state: "PENDING" | "RUNNING"): void {
  setPendingState(future, state);
}

/** @internal The engine record behind an unsettled future, `undefined` once settled. */
export function futureOwner(future: TaskFuture<unknown>): FutureOwner | undefined {
  return owner(future);
}
