/** Something that waits in a {@linkcode ReadyQueue}. */
export interface Queued {
  /** Higher comes out first. */
  priority: number;
  /** Arrival order, set by the queue: equal priorities come out first-in, first-out. */
  seq: number;
}

/**
 * The queue of tasks waiting for a backend slot: first-in, first-out while
 * every priority is equal (the common case, O(1)), a binary heap ordered by
 * priority then arrival once a task with another priority arrives.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ReadyQueue } from "./ready_queue.ts";
 * const q = new ReadyQueue<{ priority: number; seq: number; name: string }>();
 * q.push({ priority: 0, seq: 0, name: "a" });
 * q.push({ priority: 5, seq: 0, name: "urgent" });
 * assert.ok(q.pop()?.name === "urgent" && q.pop()?.name === "a");
 * ```
 */
export class ReadyQueue<T extends Queued> {
  #items: T[] = [];
  #head = 0;
  #seq = 0;
  #heap = false;

  /** How many items wait. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  /** Adds an item. */
  push(item: T): void {
    item.seq = this.#seq++;
    if (!this.#heap) {
      const first = this.#items[this.#head];
      if (first === undefined || first.priority === item.priority) {
        this.#items.push(item);
        return;
      }
      // A second priority appears: a FIFO of equal priorities is already a valid heap.
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
      this.#heap = true;
    }
    this.#items.push(item);
    this.#up(this.#items.length - 1);
  }

  /** Removes and returns the item that goes first, or `undefined` when empty. */
  pop(): T | undefined {
    const items = this.#items;
    if (!this.#heap) {
      if (this.#head >= items.length) return undefined;
      const item = items[this.#head]!;
      (items as (T | undefined)[])[this.#head++] = undefined;
      if (this.#head === items.length) {
        this.#items = [];
        this.#head = 0;
      } else if (this.#head > 1024 && this.#head * 2 > items.length) {
        this.#items = items.slice(this.#head);
        this.#head = 0;
      }
      return item;
    }
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      this.#down(0);
    }
    if (items.length === 0) this.#heap = false;
    return top;
  }

  #before(a: T, b: T): boolean {
    return a.priority > b.priority || (a.priority === b.priority && a.seq < b.seq);
  }

  #up(i: number): void {
    const items = this.#items;
    const item = items[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#before(item, items[p]!)) break;
      items[i] = items[p]!;
      i = p;
    }
    items[i] = item;
  }

  #down(i: number): void {
    const items = this.#items;
    const n = items.length;
    const item = items[i]!;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && this.#before(items[c + 1]!, items[c]!)) c++;
      if (!this.#before(items[c]!, item)) break;
      items[i] = items[c]!;
      i = c;
    }
    items[i] = item;
  }
}
