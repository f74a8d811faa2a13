/**
 * The error of a task whose worker died under it.
 *
 * @module
 */
import { transferList } from "./transfer.ts";

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

/**
 * A task whose arguments were moved to a worker with `transfer()` lost that
 * worker before it started, so it cannot run: its buffers are detached in
 * this thread and went with the worker. The pool runs such a task again
 * elsewhere when its arguments were copied; retries follow the task's policy,
 * and need arguments the retry can send again.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MovedArgumentsError } from "@asyncflow/asyncflow/worker_pool";
 * const err = new MovedArgumentsError("task.000007", "worker-1", "it was out of memory");
 * assert.equal(err.worker, "worker-1");
 * assert.match(err.message, /moved to worker-1 with transfer\(\).*it was out of memory/);
 * ```
 */
export class MovedArgumentsError extends Error {
  /** Always `"MovedArgumentsError"`. */
  override name = "MovedArgumentsError";
  /** The id of the task's attempt. */
  readonly taskId: string;
  /** The worker its buffers went to, e.g. `worker-1`. */
  readonly worker: string;

  /**
   * Makes the error of a task whose moved arguments were lost with their worker.
   *
   * @param taskId The attempt that did not start.
   * @param worker The worker's label.
   * @param why Why the worker gave the task back.
   */
  constructor(taskId: string, worker: string, why: string) {
    super(
      `Task ${taskId} did not run: its arguments were moved to ${worker} with transfer() and ` +
        `that worker gave it back before starting it (${why}); moved buffers cannot be sent ` +
        `again, so pass copies (no transfer()) for a task that must survive this`,
    );
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

/**
 * The error of a task whose arguments could not be posted to a worker. A buffer marked with
 * `transfer()` that is already detached — moved with an earlier task, or with this task's
 * earlier attempt — is said as such: the runtimes' own messages ("Cannot transfer object of
 * unsupported type" on Node) do not say it.
 */
export function describeUnsendable(
  task: { spec: { name: string; id: string; args: unknown[] } },
  error: unknown,
): unknown {
  const detached = task.spec.args.flatMap(transferList).filter((b) =>
    (b as { detached?: boolean }).detached === true
  );
  if (detached.length === 0) return describeFailure(task, error);
  return new TypeError(
    `Task '${task.spec.name}' (${task.spec.id}): its arguments cannot be sent to a worker: ` +
      `${detached.length} buffer(s) marked with transfer() were moved already (by an earlier ` +
      `task, or an earlier attempt of this one) and are empty here; pass each task a buffer of ` +
      `its own, or no transfer() for a task that retries`,
    { cause: error },
  );
}
