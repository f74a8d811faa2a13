import type { ExecutableOptions, TaskOptions } from "./options.ts";
import type { TaskFuture } from "./task_future.ts";

/**
 * A value, a future of that value, or (for arrays and plain objects) the same
 * shape with futures inside: what a task parameter of type `T` accepts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type Input, WorkflowEngine } from "@asyncflow/asyncflow";
 * await using flow = await WorkflowEngine.create();
 * const two = flow.functionTask(() => 2);
 * const mixed: Input<number[]> = [1, two()]; // values and futures, in one array
 * const sum = flow.functionTask((xs: number[]) => xs.reduce((a, b) => a + b, 0));
 * assert.equal(await sum(mixed), 3);
 * ```
 */
export type Input<T> = T | TaskFuture<T> | DeepInput<T>;

/** The array or plain-object shape of `T` with futures allowed inside (see {@linkcode Input}). */
export type DeepInput<T> = T extends (...args: never[]) => unknown ? never
  : T extends readonly unknown[] ? { [K in keyof T]: Input<T[K]> }
  : T extends Record<string, unknown> ? { [K in keyof T]: Input<T[K]> }
  : never;

/** A parameter list where each parameter also accepts futures. */
export type InputArgs<A extends readonly unknown[]> = { [K in keyof A]: Input<A[K]> };

/**
 * What `functionTask`, `executableTask` and `block` return: call it like the
 * original function (each parameter also takes a future) to get a
 * {@linkcode TaskFuture} at once.
 *
 * @typeParam A The function's parameters.
 * @typeParam R The task's result.
 * @typeParam O The options it accepts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WorkflowEngine } from "@asyncflow/asyncflow";
 * await using flow = await WorkflowEngine.create();
 * const add = flow.functionTask((a: number, b: number) => a + b);
 * const urgent = add.with({ priority: 10, retries: 1 });
 * assert.ok((await urgent(add(1, 2), 3)) === 6);
 * ```
 */
export interface TaskFunction<A extends unknown[], R, O extends TaskOptions = TaskOptions> {
  /** Calls the task; returns its future at once. */
  (...args: InputArgs<A>): TaskFuture<R>;
  /**
   * The same task with call-time options merged over the definition's: each
   * option given wins, and inside `resources` and `env` each key given wins
   * (`{ ranks: 8, coresPerRank: 2 }` with `{ ranks: 4 }` gives
   * `{ ranks: 4, coresPerRank: 2 }`).
   *
   * @param options Options for the calls made through the returned function.
   */
  with(options: O): TaskFunction<A, R, O>;
  /** The options in force (definition merged with `with`). */
  readonly options: Readonly<O>;
  /** The name its tasks carry. */
  readonly taskName: string;
}

/** An executable task's function type. */
export type ExecutableFunction<A extends unknown[]> = TaskFunction<A, string, ExecutableOptions>;
