/**
 * The commands a worker pool is given: they run as subprocesses, on a {@linkcode LocalBackend}
 * of the pool's own, reporting straight to the engine under the pool's name. The pool keeps
 * which ids are commands so that a cancel reaches the right runner.
 *
 * @module
 */
import type { BackendContext, TaskSpec } from "../../src/backend.ts";
import { LocalBackend } from "../../src/local_backend.ts";

/**
 * A pool's subprocess runner.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PoolCommands } from "./pool_commands.ts";
 * const commands = new PoolCommands("pool", 2, undefined);
 * assert.equal(commands.has("task.000001"), false);
 * await commands.shutdown();
 * ```
 */
export class PoolCommands {
  readonly #local: LocalBackend;
  readonly #ids = new Set<string>();

  /**
   * @param name The pool's name, which the commands report under.
   * @param processes How many commands run at once.
   * @param measureUsage Measure CPU and memory (undefined: when the run is recorded).
   */
  constructor(name: string, processes: number | undefined, measureUsage: boolean | undefined) {
    this.#local = new LocalBackend({
      name,
      ...(processes === undefined ? {} : { processes }),
      ...(measureUsage === undefined ? {} : { measureUsage }),
    });
  }

  /** Reports to the engine's channel; a finished command is forgotten. */
  attach(ctx: BackendContext): void {
    const forget = (id: string) => this.#ids.delete(id);
    this.#local.attach({
      engineUid: ctx.engineUid,
      workDir: ctx.workDir,
      // A recorded run keeps the commands' outputs and records, as on the engine's own backend.
      ...(ctx.outputDir === undefined ? {} : { outputDir: ctx.outputDir }),
      ...(ctx.ran ? { ran: ctx.ran } : {}),
      running: (id, where) => ctx.running(id, where),
      done: (id, value) => (forget(id), ctx.done(id, value)),
      failed: (id, error) => (forget(id), ctx.failed(id, error)),
      cancelled: (id, reason) => (forget(id), ctx.cancelled(id, reason)),
    });
  }

  /** Whether `id` is a command still running (or waiting) here. */
  has(id: string): boolean {
    return this.#ids.has(id);
  }

  /** Starts the commands (as the LocalBackend's capacity allows). */
  submit(commands: TaskSpec[]): void {
    for (const spec of commands) this.#ids.add(spec.id);
    this.#local.submit(commands);
  }

  /** Kills one command's process group. */
  cancel(id: string): void {
    this.#local.cancel(id);
  }

  /** Kills every command; resolves when they are gone. */
  shutdown(): Promise<void> {
    return this.#local.shutdown();
  }
}
