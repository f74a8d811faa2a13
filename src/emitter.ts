import type { TaskEvent, TaskEventListener } from "./events.ts";
import { invalid } from "./validate.ts";

/**
 * The engine's listeners. The kernel asks `listening` before it builds an
 * event, so a run nobody watches builds no event object at all.
 */
export class Emitter {
  // Replaced, never mutated: a listener that unsubscribes while an event is delivered is safe.
  #listeners: readonly TaskEventListener[] = [];

  /** Whether anyone listens. */
  get listening(): boolean {
    return this.#listeners.length > 0;
  }

  /**
   * Adds a listener.
   *
   * @returns A function that removes it.
   * @throws {TypeError} When `listener` is not a function.
   */
  subscribe(listener: TaskEventListener): () => void {
    if (typeof listener !== "function") {
      throw invalid("subscribe", "listener", "a function", listener);
    }
    this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  /** Delivers an event to every listener; one that throws is reported and the others still run. */
  emit(event: TaskEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        console.error("asyncflow: an event listener threw:", error);
      }
    }
  }
}
