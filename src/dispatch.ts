import type { Blocks } from "./blocks.ts";
import { buildCommand } from "./commands.ts";
import { resolveArgs } from "./dependencies.ts";
import type { Flush } from "./flush.ts";
import type { Kernel, Scheduler } from "./kernel.ts";
import type { Lanes } from "./lanes.ts";
import { memoKey } from "./memo_key.ts";
import { MOVES } from "./phases.ts";
import type { TaskNode } from "./task_node.ts";

/** How the engine resumes and records: from `EngineOptions`. */
export interface Memo {
  /** Results of an earlier run, by memo key. */
  resume: ReadonlyMap<string, unknown> | undefined;
  /** Whether every task gets a memo key. */
  recordResults: boolean;
}

/**
 * Takes a task from ready to its runner: a block's body to the engine, an
 * executable through its body to its command, every task to its backend's
 * lane — unless a recorded result stands in for running it. What became
 * ready during one microtask goes out in one flush at its end.
 */
export class Dispatcher implements Scheduler {
  readonly #kernel: Kernel;
  readonly #lanes: Lanes;
  readonly #blocks: Blocks;
  readonly #memo: Memo;

  /** Takes over `flush`: each flush starts ready blocks, then submits queued tasks. */
  constructor(kernel: Kernel, lanes: Lanes, blocks: Blocks, memo: Memo, flush: Flush) {
    this.#kernel = kernel;
    this.#lanes = lanes;
    this.#blocks = blocks;
    this.#memo = memo;
    flush.work = () => {
      blocks.startReady();
      lanes.submitQueued();
    };
  }

  /** All dependencies are done: resolve the arguments and run the task. */
  ready(node: TaskNode): void {
    this.#kernel.move(node, MOVES.resolved);
    if (node.args.length > 0) node.args = resolveArgs(node.args, node.nested);
    if (node.kind === "block") this.#blocks.add(node);
    else if (node.kind === "executable") buildCommand(this.#kernel, node, this.#enqueue);
    else this.#enqueue(node);
  }

  /** The next attempt of a task whose attempt failed (an executable keeps its command). */
  rerun(node: TaskNode): void {
    if (node.kind === "block") this.#blocks.add(node);
    else this.#enqueue(node);
  }

  /** The attempt leaves its backend (blocks run on the engine and have none). */
  leave(node: TaskNode, stopReason?: unknown): void {
    this.#lanes.leave(node, stopReason);
  }

  readonly #enqueue = (node: TaskNode): void => {
    const memo = this.#memo;
    if (memo.resume !== undefined || memo.recordResults) {
      node.memoKey = memoKey(node.kind, node.name, node.args, node.command);
      if (node.memoKey !== undefined && memo.resume?.has(node.memoKey)) {
        this.#kernel.settle(node, "DONE", memo.resume.get(node.memoKey), true);
        return;
      }
    }
    this.#lanes.enqueue(node);
  };
}
