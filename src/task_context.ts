import type { TaskNode } from "./task_node.ts";

/**
 * What a function task or a block body knows about its own run, from
 * {@linkcode taskContext}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { taskContext, type TaskContext, WorkflowEngine } from "@asyncflow/asyncflow";
 * await using flow = await WorkflowEngine.create();
 * const whoAmI = flow.functionTask(function whoAmI() {
 *   const context: TaskContext = taskContext();
 *   return `${context.name} attempt ${context.attempt}`;
 * });
 * assert.equal(await whoAmI(), "whoAmI attempt 1");
 * ```
 */
export interface TaskContext {
  /** The task's uid, e.g. `task.000042`. */
  readonly uid: string;
  /** The task's name, under its block's (`point[3]/generate`). */
  readonly name: string;
  /** 1 for the first attempt, 2 for the first retry, and so on. */
  readonly attempt: number;
  /**
   * Aborted when the engine stops this attempt: the task is cancelled (by
   * `future.cancel()`, its `signal` option, a cancelled dependency or block,
   * or shutdown), the attempt times out, or the task fails while it runs.
   * `signal.reason` is the `CancelledError` or `TimeoutError`. Pass it to
   * `fetch`, timers or child work so they stop too.
   */
  readonly signal: AbortSignal;
}

let current: TaskContext | undefined;

/**
 * The context of the function task or block body that is running: its uid,
 * name, attempt, and an `AbortSignal` that aborts when the engine stops it.
 *
 * Call it synchronously at the start of the body — before its first `await`
 * — and keep what it returns: after an `await` the engine no longer knows
 * which task the code belongs to, and the call throws. (Knowing it across
 * awaits would cost every task call an async-context switch.) Function tasks
 * have it on the in-process `LocalBackend`; block bodies everywhere.
 *
 * @returns The running task's context.
 * @throws {Error} When no function task or block body is running synchronously.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CancelledError, taskContext, WorkflowEngine } from "@asyncflow/asyncflow";
 * await using flow = await WorkflowEngine.create();
 * const started = Promise.withResolvers<void>();
 * const poll = flow.functionTask(async function poll() {
 *   const { signal } = taskContext();
 *   started.resolve();
 *   await new Promise((resolve) => signal.addEventListener("abort", resolve));
 *   return signal.reason;
 * });
 * const f = poll();
 * await started.promise;
 * f.cancel("enough");
 * await assert.rejects(f, CancelledError);
 * ```
 */
export function taskContext(): TaskContext {
  if (current === undefined) {
    throw new Error(
      "taskContext() was called outside a running task: call it synchronously at the start of a " +
        "function task or block body, before its first await, and keep what it returns",
    );
  }
  return current;
}

/** Calls a task's function with `context` as the current {@linkcode TaskContext}. */
export function callInTaskContext(
  context: TaskContext | undefined,
  fn: (...args: never[]) => unknown,
  args: readonly unknown[],
): unknown {
  const outer = current;
  current = context;
  try {
    return (fn as (...args: unknown[]) => unknown)(...args);
  } finally {
    current = outer;
  }
}

/**
 * The signal of one attempt of a task, made when first asked for: tasks that
 * never look at their signal cost no `AbortController`. An attempt that has
 * already ended gets an aborted signal.
 */
export function attemptSignal(node: TaskNode, attempt: number): AbortSignal {
  if (node.attempt === attempt && !node.settled) {
    return (node.controller ??= new AbortController()).signal;
  }
  return AbortSignal.abort(
    node.future.error ?? new Error(`attempt ${attempt} of ${node.uid} has ended`),
  );
}
