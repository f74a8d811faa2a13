import { TimeoutError } from "./errors.ts";
import { MOVES, PHASE } from "./phases.ts";
import type { Kernel } from "./kernel.ts";
import type { Lanes } from "./lanes.ts";
import { retryDelay } from "./retry.ts";
import type { TaskNode } from "./task_node.ts";

/**
 * Attempts of a task: the timeout of a running one, and whether a failed one
 * is made again (after its backoff) or fails the task.
 */
export class Attempts {
  readonly #kernel: Kernel;
  readonly #lanes: Lanes;
  readonly #rerun: (node: TaskNode) => void;

  /** @param rerun Makes the next attempt of a task whose attempt failed. */
  constructor(kernel: Kernel, lanes: Lanes, rerun: (node: TaskNode) => void) {
    this.#kernel = kernel;
    this.#lanes = lanes;
    this.#rerun = rerun;
  }

  /** The attempt started running (`where`: as its backend said); its timeout starts now. */
  started(node: TaskNode, where?: string): void {
    if (node.phase === PHASE.running || node.settled) return;
    this.#kernel.move(node, MOVES.running, where);
    const timeout = node.options.timeout;
    if (timeout !== undefined) {
      const attempt = node.attempt;
      node.timer = setTimeout(() => this.#timedOut(node, attempt, timeout), timeout);
    }
  }

  /** An attempt failed: make it again if the policy says so, else fail the task. */
  failed(node: TaskNode, error: unknown): void {
    if (node.settled) return;
    this.#lanes.leave(node);
    const delay = retryDelay(node.options.retries, error, node.attempt);
    if (delay === undefined) {
      this.#kernel.settle(node, "FAILED", error);
      return;
    }
    if (node.timer !== undefined) {
      clearTimeout(node.timer);
      node.timer = undefined;
    }
    this.#kernel.move(node, MOVES.retried, error, delay);
    const again = () => {
      node.timer = undefined;
      if (!node.settled) this.#rerun(node);
    };
    if (delay > 0) node.timer = setTimeout(again, delay);
    else again();
  }

  #timedOut(node: TaskNode, attempt: number, timeout: number): void {
    node.timer = undefined;
    if (node.settled || node.attempt !== attempt) return;
    const error = new TimeoutError(node.uid, timeout, node.name, attempt);
    node.controller?.abort(error);
    if (node.kind === "block") this.#kernel.cancelChildren(node, `its block ${node.uid} timed out`);
    else this.#lanes.leave(node, error);
    this.failed(node, error);
  }
}
