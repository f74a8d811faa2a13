import type { BodyRun } from "./body_run.ts";
import type { ContextStorage } from "./host/mod.ts";

/** Where a task call happens: its workflow and the block body it runs in (kept across awaits). */
export interface Scope {
  workflowId: string;
  /** The run of the enclosing block's body; its block owns the tasks called here. */
  run: BodyRun | undefined;
}

/** The workflow id of calls made outside any scope. */
export const DEFAULT_WORKFLOW = "main";

/**
 * The explicit form of the scope a call is made in: the block body and the
 * workflow id, taken once with `flow.scope()` and handed back with
 * {@linkcode FlowScope.run} after an `await`. Runtimes with async context
 * (Deno, Bun, Node) carry the scope across awaits by themselves; browsers and
 * workerd have none, and there a task that a block body calls after an
 * `await` belongs to its block only when called inside `scope.run`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type FlowScope, WorkflowEngine } from "@asyncflow/asyncflow";
 * await using flow = await WorkflowEngine.create();
 * const step = flow.functionTask((n: number) => n + 1);
 * const campaign = flow.block(async (start: number) => {
 *   const scope: FlowScope = flow.scope(); // before the first await
 *   const one = await step(start);
 *   return await scope.run(() => step(one)); // after an await: owned by the block everywhere
 * });
 * const f = flow.workflowScope("exp-1", () => campaign(0));
 * assert.equal(await f, 2);
 * ```
 */
export interface FlowScope {
  /** The workflow id calls made in this scope get. */
  readonly workflowId: string;
  /** The block whose body this scope belongs to (uid and name), or `undefined` outside blocks. */
  readonly block: { readonly uid: string; readonly name: string } | undefined;
  /**
   * Runs `fn` in this scope: every task call `fn` makes synchronously belongs
   * to the scope's block and workflow. On runtimes without async context,
   * calls `fn` makes after its own first `await` do not: wrap those too.
   *
   * @param fn The code that calls tasks.
   * @returns What `fn` returns.
   */
  run<R>(fn: () => R): R;
}

/**
 * The handle of the scope that is current now.
 *
 * @param context The engine's scope storage.
 * @returns The handle.
 */
export function flowScope(context: ContextStorage<Scope | undefined>): FlowScope {
  const current = context.get();
  const block = current?.run?.block;
  return {
    workflowId: current?.workflowId ?? DEFAULT_WORKFLOW,
    block: block === undefined ? undefined : { uid: block.uid, name: block.name },
    run: (fn) => context.run(current, fn),
  };
}

/**
 * Where the runtime has no async context, says — once per engine, on
 * `console.warn` — that a task was called outside any scope while a block
 * body or an async `workflowScope` was still running: if the call came from
 * that body after an `await`, the runtime could not tell, and the task
 * belongs to no block and to the default workflow.
 */
export class AttributionCheck {
  /** Block bodies and async workflowScope callbacks that have not ended. */
  open = 0;
  #warned = false;
  readonly #runtime: string;

  /** @param runtime Named in the warning. */
  constructor(runtime: string) {
    this.#runtime = runtime;
  }

  /**
   * Called for each task call made outside any scope.
   *
   * @param name The task's name.
   */
  unscoped(name: string): void {
    if (this.open === 0 || this.#warned) return;
    this.#warned = true;
    console.warn(
      `asyncflow: '${name}' was called outside any block or workflowScope while one was ` +
        `running, and ${this.#runtime} has no async context to tell whether the call came ` +
        "from it after an await. If it did, the task is not owned by the block (it is not " +
        "cancelled with it) and has the default workflow id. Take `const scope = " +
        "flow.scope()` before the body's first await and call tasks after it as " +
        "`scope.run(() => task(...))` (see docs/scopes.md). Warned once per engine.",
    );
  }

  /**
   * Counts `value` as an open scope until it settles, when it is a promise.
   *
   * @param value What a block body or a workflowScope callback returned.
   * @returns `value`.
   */
  track<R>(value: R): R {
    const then = (value as { then?: unknown } | null)?.then;
    if (typeof then !== "function") return value;
    this.open++;
    const close = () => void this.open--;
    (value as PromiseLike<unknown>).then(close, close);
    return value;
  }
}
