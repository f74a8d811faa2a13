/**
 * The error of a task whose worker died under it.
 *
 * @module
 */

/**
 * A task's worker died while running it: an uncaught error in the worker, an
 * exit (`process.exit`, `close()`), a module that broke the worker, or an
 * out-of-memory. The pool replaces the worker; retries follow the task's
 * policy.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WorkerCrashError } from "@asyncflow/asyncflow/worker_pool";
 * const err = new WorkerCrashError("task.000001", "worker-2", "it exited with code 3");
 * assert.equal(err.worker, "worker-2");
 * assert.match(err.message, /worker worker-2 died \(it exited with code 3\)/);
 * ```
 */
export class WorkerCrashError extends Error {
  /** Always `"WorkerCrashError"`. */
  override name = "WorkerCrashError";
  /** The id of the task's attempt. */
  readonly taskId: string;
  /** The worker that died, e.g. `worker-2`. */
  readonly worker: string;

  /**
   * Makes the error of a task lost with its worker.
   *
   * @param taskId The attempt that was running.
   * @param worker The worker's label.
   * @param why What the runtime reported.
   */
  constructor(taskId: string, worker: string, why: string) {
    super(`Task ${taskId} was lost: its worker ${worker} died (${why}); the worker was replaced`);
    this.taskId = taskId;
    this.worker = worker;
  }
}

/** The task's error, with a hint when the arguments could not be sent at all. */
export function describeFailure(
  task: { spec: { name: string; id: string } },
  error: unknown,
): unknown {
  if (error instanceof Error && error.name === "DataCloneError") {
    return new TypeError(
      `Task '${task.spec.name}' (${task.spec.id}): its arguments cannot be sent to a worker ` +
        `(structured clone): ${error.message}`,
      { cause: error },
    );
  }
  return error;
}
