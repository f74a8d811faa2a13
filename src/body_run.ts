import { CancelledError } from "./errors.ts";
import { attemptSignal, type TaskContext } from "./task_context.ts";
import type { TaskNode } from "./task_node.ts";

/**
 * One run of a block's body: the scope its code runs in and the context
 * `taskContext()` gives it. A run is stopped once its block was cancelled or
 * failed, or its attempt timed out, while the body still runs; the engine then
 * refuses the body's next task call and its next await of an unfinished task
 * future with {@linkcode BodyRun.stopError}.
 */
export class BodyRun implements TaskContext {
  readonly block: TaskNode;
  readonly attempt: number;
  /** The body returned or threw. */
  ended = false;

  constructor(block: TaskNode) {
    this.block = block;
    this.attempt = block.attempt;
  }

  /** The block's uid. */
  get uid(): string {
    return this.block.uid;
  }

  /** The block's name. */
  get name(): string {
    return this.block.name;
  }

  /** Aborted when the engine stops this run. */
  get signal(): AbortSignal {
    return attemptSignal(this.block, this.attempt);
  }

  /** The body runs on, but its block no longer waits for it. */
  get stopped(): boolean {
    return !this.ended && (this.block.settled || this.block.attempt !== this.attempt);
  }

  /** What the stopped body's next call or await throws. */
  stopError(): CancelledError {
    const why = this.block.future.error;
    if (why instanceof CancelledError) return why;
    return new CancelledError(
      this.block.uid,
      why ?? `attempt ${this.attempt} was stopped`,
      this.block.name,
    );
  }
}
