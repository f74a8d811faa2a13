import { CancelledError, DependencyFailureError } from "./errors.ts";
import type { Emitter } from "./emitter.ts";
import { errorInfo, now, type TaskEvent, valueInfo } from "./events.ts";
import { LiveTasks } from "./live_tasks.ts";
import { type MoveRule, MOVES, PHASE, phaseName } from "./phases.ts";
import type { TaskEventType } from "./events.ts";
import type { EngineStats } from "./stats.ts";
import { setFutureState, settleFuture, type TaskFuture } from "./task_future.ts";
import type { TaskNode } from "./task_node.ts";
import type { TaskState } from "./task_state.ts";

/** What the layer above the kernel does when the kernel moves a task on. */
export interface Scheduler {
  /** Every dependency of `node` is done: run it. */
  ready(node: TaskNode): void;
  /**
   * `node`'s attempt leaves its backend; with a reason, the backend is told to stop it.
   * Called only while the attempt is at a backend (`node.submissionId` is set).
   */
  leave(node: TaskNode, stopReason?: unknown): void;
}

/** What each move takes besides the node: the `a` and `b` of {@linkcode Kernel.move}. */
interface MoveArgs {
  created: [deps: readonly TaskFuture<unknown>[], template: string];
  resolved: [];
  queued: [backend: string, rerun: string | undefined];
  submitted: [backend: string];
  running: [where: string | undefined];
  retried: [error: unknown, delayMs: number];
  done: [value: unknown, resumed: boolean];
  failed: [error: unknown];
  cancelled: [error: unknown];
}

const EMPTY: readonly unknown[] = Object.freeze([]);

/**
 * The task life cycle. `move` is the one place that changes a task's phase,
 * and with it the future's state, the counters and the event; `settle` makes
 * a task final and carries the outcome to its dependents, children and block.
 */
export class Kernel {
  /** Unfinished tasks and blocks. */
  readonly live: LiveTasks = new LiveTasks();
  /**
   * Whether a block ever failed, was cancelled or retried: until then no block
   * body can be stopped, and awaits need not look for one.
   */
  blockStopped = false;
  /** Set once by the engine: the layers above are built on the kernel. */
  scheduler!: Scheduler;
  readonly #emitter: Emitter;
  readonly #recordResults: boolean;
  // `pending` is derived in stats(): the live tasks that are not running.
  readonly #stats: Omit<EngineStats, "pending"> = {
    created: 0,
    running: 0,
    done: 0,
    failed: 0,
    cancelled: 0,
    retried: 0,
  };

  constructor(emitter: Emitter, recordResults: boolean) {
    this.#emitter = emitter;
    this.#recordResults = recordResults;
  }

  /** A fresh snapshot of the counters. */
  stats(): EngineStats {
    return { ...this.#stats, pending: this.live.size - this.#stats.running };
  }

  /**
   * Moves a task along the table in `phases.ts`, and updates its future, the
   * counters and the listeners with it. Builds an event only when someone listens.
   *
   * @throws {Error} On a move the table does not allow from the task's phase (an engine bug).
   */
  move<M extends TaskEventType>(
    node: TaskNode,
    rule: MoveRule<M>,
    a?: MoveArgs[M][0],
    b?: MoveArgs[M][1],
  ): void {
    const from = node.phase;
    const move: TaskEventType = rule.type;
    if ((rule.from & from) === 0) illegal(node, rule);
    node.phase = rule.to;
    const stats = this.#stats;
    if (from === PHASE.running) stats.running--;
    switch (move) {
      case "created":
        stats.created++;
        this.live.add(node);
        break;
      case "running":
        stats.running++;
        setFutureState(node.future, "RUNNING");
        break;
      case "retried":
        stats.retried++;
        setFutureState(node.future, "PENDING");
        if (node.kind === "block") this.blockStopped = true;
        break;
      case "done":
        stats.done++;
        this.#finish(node, "DONE", a);
        break;
      case "failed":
        stats.failed++;
        this.#finish(node, "FAILED", a);
        if (node.kind === "block") this.blockStopped = true;
        break;
      case "cancelled":
        stats.cancelled++;
        this.#finish(node, "CANCELLED", a);
        if (node.kind === "block") this.blockStopped = true;
    }
    if (this.#emitter.listening) this.#emitter.emit(this.#eventOf(node, move, a, b, from));
    // The event names the attempt that failed; what runs next is the following one.
    if (move === "retried") {
      node.attempt++;
      node.controller = node.record = undefined;
    }
  }

  #finish(node: TaskNode, state: TaskState, outcome: unknown): void {
    this.live.delete(node);
    settleFuture(node.future, state, outcome);
  }

  #eventOf(node: TaskNode, move: TaskEventType, a: unknown, b: unknown, from: number): TaskEvent {
    const event: TaskEvent = {
      type: move,
      time: now(),
      uid: node.uid,
      name: node.name,
      kind: node.kind,
      workflowId: node.workflowId,
    };
    switch (move) {
      case "created":
        if (node.parent) event.parent = node.parent.uid;
        event.deps = (a as readonly TaskFuture<unknown>[]).map((d) => d.uid);
        if (b !== undefined && b !== node.name) event.template = b as string;
        break;
      case "queued":
        event.backend = a as string;
        if (b !== undefined) event.rerun = b as string;
        break;
      case "submitted":
        event.backend = a as string;
        event.attempt = node.attempt;
        break;
      case "running":
        event.attempt = node.attempt;
        if (a !== undefined) event.where = a as string;
        break;
      case "retried":
        event.attempt = node.attempt;
        event.error = errorInfo(a);
        event.delayMs = b as number;
        if (node.record !== undefined) event.record = node.record;
        break;
      case "done":
        event.value = valueInfo(a);
        if (node.memoKey !== undefined) {
          event.memoKey = node.memoKey;
          if (this.#recordResults) event.result = a;
        }
        if (b === true) event.resumed = true;
        if (node.record !== undefined) event.record = node.record;
        if (node.files?.seen !== undefined) event.files = node.files.seen;
        break;
      case "failed":
      case "cancelled":
        event.error = errorInfo(a);
        if (node.record !== undefined) event.record = node.record;
        // The attempt it ended on, numbered as on `running` and `retried`; none if it never ran.
        if ((from & (PHASE.submitted | PHASE.running)) !== 0) event.attempt = node.attempt;
    }
    return event;
  }

  /** Cancels an unfinished task; `false` when it had already finished. */
  cancel(node: TaskNode, reason: unknown): boolean {
    if (node.settled) return false;
    this.settle(node, "CANCELLED", new CancelledError(node.uid, reason, node.name));
    return true;
  }

  /** Cancels every unfinished task and block a block started. */
  cancelChildren(block: TaskNode, why: string): void {
    if (!block.children) return;
    for (const child of [...block.children]) {
      this.settle(child, "CANCELLED", new CancelledError(child.uid, why, child.name));
    }
  }

  /**
   * Makes a task final and propagates: dependents become ready, fail with
   * `DependencyFailureError` or are cancelled; a failed or cancelled block
   * cancels its children; a block whose body returned ends with its last
   * child. Iterative, so long chains cannot overflow the stack.
   *
   * @param resumed `first`'s value came from a recorded run instead of running it.
   */
  settle(first: TaskNode, firstState: TaskState, firstOutcome: unknown, resumed = false): void {
    const work: [TaskNode, TaskState, unknown][] = [[first, firstState, firstOutcome]];
    for (let item = work.pop(); item !== undefined; item = work.pop()) {
      const [node, state, outcome] = item;
      if (node.settled) continue;
      // Most attempts have left their backend already (it reported done or failed).
      if (node.submissionId !== undefined) {
        if (state === "CANCELLED") {
          this.scheduler.leave(node, (outcome as CancelledError).reason ?? "cancelled");
        } else this.scheduler.leave(node);
      }
      // Code still running for the task learns through taskContext().signal that it was stopped.
      if (state !== "DONE") node.controller?.abort(outcome);
      if (node.timer !== undefined) {
        clearTimeout(node.timer);
        node.timer = undefined;
      }
      node.unlisten?.();
      this.move(
        node,
        state === "DONE" ? MOVES.done : state === "FAILED" ? MOVES.failed : MOVES.cancelled,
        outcome,
        resumed && node === first,
      );

      if (node.children) {
        for (const child of node.children) {
          work.push([
            child,
            "CANCELLED",
            new CancelledError(
              child.uid,
              `its block ${node.uid} was ${state.toLowerCase()}`,
              child.name,
            ),
          ]);
        }
      }
      const dependents = node.dependents;
      if (dependents) {
        for (const d of dependents) {
          if (d.settled) continue;
          if (state === "DONE") {
            if (--d.waiting === 0) this.scheduler.ready(d);
          } else if (state === "FAILED") {
            work.push([d, "FAILED", new DependencyFailureError(d, [node], outcome)]);
          } else {
            work.push([
              d,
              "CANCELLED",
              new CancelledError(d.uid, `dependency ${node.uid} was cancelled`, d.name),
            ]);
          }
        }
      }
      const parent = node.parent;
      if (parent && !parent.settled) {
        parent.children!.delete(node);
        if (parent.bodyReturned && parent.children!.size === 0) {
          work.push([parent, "DONE", parent.bodyValue]);
        }
      }
      // Release everything the finished task held.
      node.fn = undefined;
      node.args = EMPTY;
      node.dependents = node.children = node.parent = undefined;
      node.files = undefined;
      node.command =
        node.bodyValue =
        node.unlisten =
        node.controller =
        node.record =
          undefined;
    }
  }
}

/** A move the table does not allow: an engine bug, reported with what it would need to know. */
function illegal(node: TaskNode, rule: MoveRule): never {
  throw new Error(
    `asyncflow: no move '${rule.type}' from phase '${phaseName(node.phase)}' (${node.uid})`,
  );
}
