import type { Blocks } from "./blocks.ts";
import { buildCommand } from "./commands.ts";
import { resolveArgs } from "./dependencies.ts";
import type { Flush } from "./flush.ts";
import type { Kernel, Scheduler } from "./kernel.ts";
import type { Lanes } from "./lanes.ts";
import { memoKey } from "./memo_key.ts";
import { MOVES } from "./phases.ts";
import type { FileRecord } from "./declared_files.ts";
import type { FileChecks } from "./file_checks.ts";
import type { TaskNode } from "./task_node.ts";

/** How the engine resumes and records: from `EngineOptions`. */
export interface Memo {
  /** Results of an earlier run, by memo key. */
  resume: ReadonlyMap<string, unknown> | undefined;
  /** The recorded fingerprints of tasks with declared files, by memo key. */
  resumeFiles: ReadonlyMap<string, FileRecord> | undefined;
  /** The calls `force` named: they run although recorded. */
  forced: WeakSet<TaskNode> | undefined;
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
  readonly #files: FileChecks | undefined;

  /**
   * Takes over `flush`: each flush starts ready blocks, then submits queued tasks.
   *
   * @param files The checks of declared files (none in a dry run).
   */
  constructor(
    kernel: Kernel,
    lanes: Lanes,
    blocks: Blocks,
    memo: Memo,
    flush: Flush,
    files: FileChecks | undefined,
  ) {
    this.#kernel = kernel;
    this.#lanes = lanes;
    this.#blocks = blocks;
    this.#memo = memo;
    this.#files = files;
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

  /**
   * The next attempt of a task whose attempt failed (an executable keeps its command, and a
   * recorded result never stands in for a retry).
   */
  rerun(node: TaskNode): void {
    if (node.kind === "block") this.#blocks.add(node);
    else this.#lanes.enqueue(node);
  }

  /** The attempt leaves its backend (blocks run on the engine and have none). */
  leave(node: TaskNode, stopReason?: unknown): void {
    this.#lanes.leave(node, stopReason);
  }

  readonly #enqueue = (node: TaskNode): void => {
    const memo = this.#memo;
    if (memo.resume !== undefined || memo.recordResults) {
      node.memoKey = memoKey(node.kind, node.name, node.args, node.command);
      if (memo.resume !== undefined) {
        this.#resume(node, memo.resume);
        return;
      }
    }
    this.#lanes.enqueue(node);
  };

  /**
   * On a resumed run: a task recorded as done completes with its recorded result — if it
   * declared files, only when they are as recorded (decided now, as it is ready, so an input
   * rewritten with the same content counts as unchanged) — unless `force` named it.
   */
  #resume(node: TaskNode, resume: ReadonlyMap<string, unknown>): void {
    const key = node.memoKey;
    const memo = this.#memo;
    if (memo.forced?.has(node)) {
      this.#lanes.enqueue(node, "forced");
    } else if (key === undefined || !resume.has(key)) {
      // A task without files keeps the memo-key rule, silently; one with files says why it runs.
      if (node.files === undefined) this.#lanes.enqueue(node);
      else this.#lanes.enqueue(node, "no result recorded for its name, arguments and command");
    } else if (node.files === undefined || this.#files === undefined) {
      this.#kernel.settle(node, "DONE", resume.get(key), true);
    } else {
      const files = node.files;
      this.#files.whyRerun(files, memo.resumeFiles?.get(key)).then(
        (why) => this.#resumed(node, why, resume.get(key)),
        (error) => this.#resumed(node, `its files could not be checked: ${String(error)}`),
      );
    }
  }

  #resumed(node: TaskNode, why: string | undefined, result?: unknown): void {
    if (node.settled) return;
    if (why === undefined) this.#kernel.settle(node, "DONE", result, true);
    else this.#lanes.enqueue(node, why);
  }
}
