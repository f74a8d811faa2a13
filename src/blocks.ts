import type { Attempts } from "./attempts.ts";
import { BodyRun } from "./body_run.ts";
import type { Flush } from "./flush.ts";
import type { ContextStorage } from "./host/mod.ts";
import type { Kernel } from "./kernel.ts";
import type { AttributionCheck, Scope } from "./scope.ts";
import { callInTaskContext } from "./task_context.ts";
import type { TaskNode } from "./task_node.ts";
import { isThenable } from "./thenable.ts";

/**
 * Block bodies: started on the engine, inside their block's scope, at the
 * next flush; their end decides the block's fate. A block owns what it
 * starts: it ends when its body has returned and its last child has ended,
 * and a body that throws cancels its children.
 */
export class Blocks {
  #ready: TaskNode[] = [];
  readonly #kernel: Kernel;
  readonly #attempts: Attempts;
  readonly #context: ContextStorage<Scope | undefined>;
  readonly #flush: Flush;
  /** Where there is no async context: counts the bodies still running (see `scope.ts`). */
  attribution: AttributionCheck | undefined;

  /** @param flush Starts ready bodies at the end of the microtask. */
  constructor(
    kernel: Kernel,
    attempts: Attempts,
    context: ContextStorage<Scope | undefined>,
    flush: Flush,
  ) {
    this.#kernel = kernel;
    this.#attempts = attempts;
    this.#context = context;
    this.#flush = flush;
  }

  /** Starts the block's body at the next flush. */
  add(block: TaskNode): void {
    this.#ready.push(block);
    this.#flush.schedule();
  }

  /** Starts the bodies of the blocks that became ready since the last flush. */
  startReady(): void {
    if (this.#ready.length === 0) return;
    const blocks = this.#ready;
    this.#ready = [];
    for (const block of blocks) if (!block.settled) this.#start(block);
  }

  #start(block: TaskNode): void {
    const run = new BodyRun(block);
    this.#attempts.started(block);
    let result: unknown;
    try {
      result = this.#context.run(
        { workflowId: block.workflowId, run },
        () => callInTaskContext(run, block.fn!, block.args),
      );
    } catch (error) {
      this.#bodyEnded(run, false, error);
      return;
    }
    if (isThenable(result)) {
      this.attribution?.track(result);
      result.then(
        (value) => this.#bodyEnded(run, true, value),
        (error) => this.#bodyEnded(run, false, error),
      );
    } else {
      this.#bodyEnded(run, true, result);
    }
  }

  #bodyEnded(run: BodyRun, ok: boolean, outcome: unknown): void {
    const block = run.block;
    const stopped = run.stopped;
    run.ended = true;
    if (stopped) return; // its block has moved on: what the body did is ignored
    if (!ok) {
      this.#kernel.cancelChildren(block, `its block ${block.uid} failed`);
      this.#attempts.failed(block, outcome);
      return;
    }
    if (block.children === undefined || block.children.size === 0) {
      this.#kernel.settle(block, "DONE", outcome);
      return;
    }
    // Structured concurrency: the block ends when everything it started has ended.
    block.bodyReturned = true;
    block.bodyValue = outcome;
  }
}
