import type { ContextStorage } from "./host/mod.ts";
import type { Scope } from "./scope.ts";

/**
 * One flush at the end of the current microtask, however many parts ask for
 * it: everything that became ready meanwhile goes out together (one batch per
 * backend), and no `setTimeout` hop is ever paid.
 */
export class Flush {
  #scheduled = false;
  #work: () => void = () => {};
  readonly #context: ContextStorage<Scope | undefined>;

  constructor(context: ContextStorage<Scope | undefined>) {
    this.#context = context;
  }

  /** What a flush does; set once by the engine. */
  set work(work: () => void) {
    this.#work = work;
  }

  /** Asks for a flush at the end of the current microtask. */
  schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(this.#run);
  }

  /**
   * Runs outside any scope: a microtask inherits the async context of whoever
   * queued it, and tasks started here must not inherit an unrelated block.
   */
  readonly #run = (): void => {
    if (this.#context.get() === undefined) this.#runNow();
    else this.#context.run(undefined, this.#runNow);
  };

  readonly #runNow = (): void => {
    this.#scheduled = false;
    this.#work();
  };
}
