/**
 * The leaf tasks of a run, from its events: tasks and blocks of the top level (started by the
 * workflow itself, not inside a block) that no other task depends on. Their results are what a
 * run produced; `asyncflow run` prints them at the end.
 *
 * @module
 */
import type { TaskEvent } from "../../mod.ts";
import type { LeafResult } from "./run_info.ts";

/** How many leaves' values are kept while the run goes on (the rest are counted). */
const KEPT = 200;

/**
 * Follows the events of a run and keeps the leaves' results.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WorkflowEngine } from "@asyncflow/asyncflow";
 * import { LeafResults } from "@asyncflow/asyncflow/cli";
 * await using flow = await WorkflowEngine.create();
 * const leaves = new LeafResults();
 * flow.subscribe(leaves.onEvent);
 * const double = flow.functionTask((n: number) => 2 * n);
 * await double(double(1));
 * assert.deepEqual(leaves.results().map((l) => l.value), ["4"]);
 * ```
 */
export class LeafResults {
  /** Top-level tasks nothing depends on (yet), in the order they were made. */
  readonly #candidates = new Set<string>();
  readonly #values = new Map<string, LeafResult>();
  #seen = 0;

  /** A listener for `flow.subscribe`. */
  readonly onEvent = (event: TaskEvent): void => {
    if (event.type === "created") {
      for (const dep of event.deps ?? []) {
        this.#candidates.delete(dep);
        this.#values.delete(dep);
      }
      if (event.parent === undefined && this.#seen++ < KEPT) this.#candidates.add(event.uid);
    } else if (
      // A block whose body returns nothing has no result to show.
      event.type === "done" && event.value !== "undefined" && this.#candidates.has(event.uid)
    ) {
      this.#values.set(event.uid, { uid: event.uid, name: event.name, value: event.value ?? "" });
    }
  };

  /**
   * The leaves that finished with a value, in the order they were made.
   *
   * @param limit At most this many.
   */
  results(limit = 20): LeafResult[] {
    const out: LeafResult[] = [];
    for (const uid of this.#candidates) {
      const leaf = this.#values.get(uid);
      if (leaf) out.push(leaf);
      if (out.length === limit) break;
    }
    return out;
  }
}
