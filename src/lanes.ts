import type { Backend, TaskSpec } from "./backend.ts";
import { errorInfo } from "./events.ts";
import type { Flush } from "./flush.ts";
import type { Kernel } from "./kernel.ts";
import { ReadyQueue } from "./ready_queue.ts";
import { MOVES } from "./phases.ts";
import { Submission } from "./submission.ts";
import type { TaskNode } from "./task_node.ts";

/** A backend and the tasks waiting for its slots. */
interface Lane {
  readonly backend: Backend;
  /** How many tasks the backend takes at once (`Infinity` when it did not say). */
  readonly capacity: number;
  /** Submitted and not finished. */
  inflight: number;
  readonly queue: ReadyQueue<TaskNode>;
}

/**
 * One lane per backend: the tasks waiting for a slot, in priority order, and
 * the attempts in flight, by submission id. Backpressure lives here: a lane
 * hands its backend no more than `capacity` tasks at once.
 */
export class Lanes {
  readonly #lanes = new Map<string, Lane>();
  readonly #default: Lane;
  readonly #inflight = new Map<string, TaskNode>();
  readonly #kernel: Kernel;
  readonly #flush: Flush;
  readonly #rejected: (node: TaskNode, error: Error) => void;

  /**
   * @param backends The engine's backends; the first is the default.
   * @param flush Submits queued tasks at the end of the microtask.
   * @param rejected The backend threw while taking a batch: each of its tasks' attempt failed.
   * @throws {TypeError} On two backends with one name, or a capacity below 1.
   */
  constructor(
    backends: readonly Backend[],
    kernel: Kernel,
    flush: Flush,
    rejected: (node: TaskNode, error: Error) => void,
  ) {
    this.#kernel = kernel;
    this.#flush = flush;
    this.#rejected = rejected;
    for (const backend of backends) {
      if (this.#lanes.has(backend.name)) {
        throw new TypeError(
          `Two backends are named '${backend.name}': backend names must be unique`,
        );
      }
      const capacity = backend.capacity ?? Infinity;
      if (!(capacity >= 1)) {
        throw new TypeError(
          `Backend '${backend.name}' has capacity ${capacity}: it must be at least 1`,
        );
      }
      this.#lanes.set(backend.name, { backend, capacity, inflight: 0, queue: new ReadyQueue() });
    }
    this.#default = this.#lanes.values().next().value!;
  }

  /** The backends' names; the first is the default. */
  get names(): string[] {
    return [...this.#lanes.keys()];
  }

  /** The backends, in order. */
  get backends(): Backend[] {
    return [...this.#lanes.values()].map((lane) => lane.backend);
  }

  /** Whether a backend of that name exists. */
  has(name: string): boolean {
    return this.#lanes.has(name);
  }

  /** The task waiting for the report about submission `id`, if the engine still waits. */
  nodeOf(id: string): TaskNode | undefined {
    return this.#inflight.get(id);
  }

  /**
   * Queues a ready task for a slot of its backend.
   *
   * @param rerun On a resumed run, why the task runs again (for its `queued` event).
   */
  enqueue(node: TaskNode, rerun?: string): void {
    const lane = this.#laneOf(node);
    this.#kernel.move(node, MOVES.queued, lane.backend.name, rerun);
    lane.queue.push(node);
    this.#flush.schedule();
  }

  /** Hands each backend as many queued tasks as it has room for, in one batch. */
  submitQueued(): void {
    for (const lane of this.#lanes.values()) {
      if (lane.queue.size > 0 && lane.inflight < lane.capacity) this.#submit(lane);
    }
  }

  /** The task's attempt leaves its backend; with a reason, the backend is told to stop it. */
  leave(node: TaskNode, stopReason?: unknown): void {
    const id = node.submissionId;
    if (id === undefined) return;
    node.submissionId = undefined;
    if (this.#inflight.get(id) !== node) return;
    this.#inflight.delete(id);
    const lane = this.#laneOf(node);
    lane.inflight--;
    if (lane.queue.size > 0) this.#flush.schedule();
    if (stopReason !== undefined) {
      try {
        lane.backend.cancel(id, stopReason);
      } catch (error) {
        console.error(`asyncflow: backend '${lane.backend.name}' failed to cancel ${id}:`, error);
      }
    }
  }

  /** The lane of the backend a task is routed to (names are checked at definition). */
  #laneOf(node: TaskNode): Lane {
    const name = node.options.backend;
    return name === undefined ? this.#default : this.#lanes.get(name)!;
  }

  #submit(lane: Lane): void {
    const batch: TaskSpec[] = [];
    const name = lane.backend.name;
    while (lane.inflight < lane.capacity) {
      const node = lane.queue.pop();
      if (node === undefined) break;
      if (node.settled) continue;
      const spec = new Submission(node);
      node.submissionId = spec.id;
      this.#kernel.move(node, MOVES.submitted, name);
      this.#inflight.set(spec.id, node);
      lane.inflight++;
      batch.push(spec);
    }
    if (batch.length === 0) return;
    try {
      lane.backend.submit(batch);
    } catch (error) {
      const why = new Error(`Backend '${name}' rejected a batch: ${errorInfo(error).message}`, {
        cause: error,
      });
      for (const spec of batch) {
        const node = this.#inflight.get(spec.id);
        if (node) this.#rejected(node, why);
      }
    }
  }
}
