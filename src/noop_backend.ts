import type { Backend, BackendContext, TaskSpec } from "./backend.ts";

/**
 * Options of {@linkcode NoopBackend}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { NoopBackend, type NoopBackendOptions, WorkflowEngine } from "@asyncflow/asyncflow";
 * const options: NoopBackendOptions = { name: "gpu" };
 * await using flow = await WorkflowEngine.create({ backends: [new NoopBackend(options)] });
 * assert.equal(await flow.functionTask(function train() {}, { backend: "gpu" })(), "dry-run:train");
 * ```
 */
export interface NoopBackendOptions {
  /** The name tasks route to. Default `"default"`. */
  name?: string;
}

/**
 * Runs nothing: every task finishes at once with the placeholder
 * `"dry-run:<task name>"`. The engine uses it for `dryRun: true`, so a
 * workflow's wiring, blocks and control flow can be checked without
 * executing a single command.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WorkflowEngine } from "@asyncflow/asyncflow";
 * await using flow = await WorkflowEngine.create({ dryRun: true });
 * const rm = flow.executableTask(function rm() {
 *   return "rm -rf /tmp/never-run";
 * });
 * assert.equal(await rm(), "dry-run:rm");
 * ```
 */
export class NoopBackend implements Backend {
  /** The name tasks route to. */
  readonly name: string;
  #ctx: BackendContext | undefined;

  /**
   * Creates the backend.
   *
   * @param options The backend's name.
   */
  constructor(options: NoopBackendOptions = {}) {
    this.name = options.name ?? "default";
  }

  /** Keeps the engine's report channel. */
  attach(ctx: BackendContext): void {
    this.#ctx = ctx;
  }

  /** Finishes every task at once with a placeholder. */
  submit(tasks: readonly TaskSpec[]): void {
    const ctx = this.#ctx!;
    for (const t of tasks) {
      ctx.running(t.id);
      // What would have run: a dry run lists the commands with their arguments filled in.
      if (t.command !== undefined) {
        ctx.ran?.(t.id, { command: t.command, ...(t.cwd === undefined ? {} : { cwd: t.cwd }) });
      }
      ctx.done(t.id, `dry-run:${t.name}`);
    }
  }

  /** Nothing runs, so nothing to stop. */
  cancel(): void {}

  /** Nothing to release. */
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
