/**
 * W3C trace context per task attempt, for backends that carry it to where the task runs (the
 * `RemoteBackend` sends it to the agent). The engine has no tracing of its own: an exporter such
 * as `@asyncflow/asyncflow/otel` gives it a {@linkcode TraceContextProvider}, and the engine hands
 * backends its answers through `BackendContext.traceContext`. Without a provider, nothing is
 * asked and nothing is sent.
 *
 * @module
 */

/** The W3C Trace Context headers of one task attempt (`traceparent`, `tracestate`). */
export interface TraceContext {
  /** `00-<trace id>-<parent span id>-<flags>`: the span the task's work belongs under. */
  traceparent: string;
  /** Vendor data that travels with it, when there is any. */
  tracestate?: string;
}

/** Says the trace context of a task attempt as it is handed to its backend, or `undefined`. */
export type TraceContextProvider = (
  task: { readonly uid: string; readonly attempt: number },
) => TraceContext | undefined;

/**
 * The one provider of an engine, replaced by the next `use` and removed by the function `use`
 * returns.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TraceContextHook } from "./trace_context.ts";
 * const hook = new TraceContextHook();
 * assert.equal(hook.get({ uid: "t", attempt: 1 }), undefined);
 * const stop = hook.use(() => ({ traceparent: `00-${"1".repeat(32)}-${"2".repeat(16)}-01` }));
 * assert.match(hook.get({ uid: "t", attempt: 1 })!.traceparent, /^00-1{32}-2{16}-01$/);
 * stop();
 * assert.equal(hook.get({ uid: "t", attempt: 1 }), undefined);
 * ```
 */
export class TraceContextHook {
  #provider: TraceContextProvider | undefined;

  /** Makes `provider` the one asked; returns the function that removes it again. */
  use(provider: TraceContextProvider): () => void {
    this.#provider = provider;
    return () => {
      if (this.#provider === provider) this.#provider = undefined;
    };
  }

  /** The provider's answer for a task attempt; `undefined` without a provider. */
  get(task: { readonly uid: string; readonly attempt: number }): TraceContext | undefined {
    return this.#provider?.(task);
  }
}

/**
 * A command's environment with its attempt's trace context in `TRACEPARENT` and `TRACESTATE`,
 * OpenTelemetry's carriers for a child process: an instrumented program the task runs joins the
 * trace under the attempt's span. What the task's own `env` sets wins.
 *
 * @param env The task's own variables, if any.
 * @param trace The attempt's trace context, if something traces.
 * @returns `env` itself when there is no trace context.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withTraceEnv } from "./trace_context.ts";
 * const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
 * assert.deepEqual(withTraceEnv({ A: "1" }, { traceparent }), { TRACEPARENT: traceparent, A: "1" });
 * assert.equal(withTraceEnv(undefined, undefined), undefined);
 * ```
 */
export function withTraceEnv(
  env: Record<string, string> | undefined,
  trace: TraceContext | undefined,
): Record<string, string> | undefined {
  if (trace === undefined) return env;
  return {
    TRACEPARENT: trace.traceparent,
    ...(trace.tracestate === undefined ? {} : { TRACESTATE: trace.tracestate }),
    ...env,
  };
}
