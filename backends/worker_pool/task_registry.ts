/**
 * How a function task reaches a worker: by the module that exports it and
 * the export's name. The pool imports its task modules in this thread and
 * looks functions up by identity.
 *
 * @module
 */

/** Where a worker finds a function. */
export interface TaskAddress {
  /** Index of the module in the pool's module list. */
  module: number;
  /** The export's name. */
  name: string;
}

/**
 * Maps each function exported by the task modules to its address.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TaskRegistry } from "./task_registry.ts";
 * const url = new URL("./transfer.ts", import.meta.url);
 * const registry = await TaskRegistry.load([url]);
 * const { transfer } = await import("./transfer.ts");
 * assert.deepEqual(registry.addressOf(transfer), { module: 0, name: "transfer" });
 * assert.equal(registry.addressOf(() => 1), undefined);
 * ```
 */
export class TaskRegistry {
  /** The module URLs, in the order given. */
  readonly urls: readonly string[];
  readonly #addresses: Map<unknown, TaskAddress>;

  private constructor(urls: string[], addresses: Map<unknown, TaskAddress>) {
    this.urls = urls;
    this.#addresses = addresses;
  }

  /**
   * Imports the modules and indexes their exported functions.
   *
   * @param modules Module URLs (`new URL("./tasks.ts", import.meta.url)`) or absolute URL strings.
   * @returns The registry.
   * @throws {Error} When a module cannot be imported, naming it, with the import's error as `cause`.
   */
  static async load(modules: readonly (URL | string)[]): Promise<TaskRegistry> {
    const urls = modules.map((m) => (m instanceof URL ? m.href : new URL(m).href));
    const addresses = new Map<unknown, TaskAddress>();
    for (const [index, url] of urls.entries()) {
      let module: Record<string, unknown>;
      try {
        module = await import(url);
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        throw new Error(`WorkerPoolBackend: cannot import task module ${url}: ${why}`, {
          cause: error,
        });
      }
      for (const [name, value] of Object.entries(module)) {
        // The first module and export that hold a function address it.
        if (typeof value === "function" && !addresses.has(value)) {
          addresses.set(value, { module: index, name });
        }
      }
    }
    return new TaskRegistry(urls, addresses);
  }

  /**
   * Where a function lives, or `undefined` when no task module exports it.
   *
   * @param fn The function of a task.
   * @returns Its module index and export name.
   */
  addressOf(fn: unknown): TaskAddress | undefined {
    return this.#addresses.get(fn);
  }

  /**
   * The error for a function no task module exports: what to do about it.
   *
   * @param fn The function.
   * @param taskName The task's name.
   * @returns A `TypeError` that names the function and the modules.
   */
  unaddressable(fn: unknown, taskName: string): TypeError {
    const fnName = typeof fn === "function" && fn.name ? `'${fn.name}'` : "an anonymous function";
    const modules = this.urls.length > 0 ? this.urls.join(", ") : "none";
    return new TypeError(
      `WorkerPoolBackend cannot run task '${taskName}': ${fnName} is not exported by any of its task ` +
        `modules (${modules}). A closure cannot cross into a worker: export the function from a module, ` +
        `list that module in the pool's 'modules' option, and pass the imported function to functionTask().`,
    );
  }
}
