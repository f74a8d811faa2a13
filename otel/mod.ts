/**
 * OpenTelemetry for asyncflow: the engine's event stream as spans and metrics, on
 * `@opentelemetry/api`, so that you plug in the SDK and exporter you already use. Nothing here is
 * loaded unless you import it, and the engine builds no event while nothing listens.
 *
 * One span for the run, and under it one span per task attempt and per block run, parented by the
 * enclosing block, named after the
 * task's template (`generate`; the task's own name, `point[3]/generate`, is in `asyncflow.name`),
 * with `asyncflow.uid`, `asyncflow.kind`, `asyncflow.workflow_id`, `asyncflow.backend`,
 * `asyncflow.where`, `asyncflow.attempt` and `asyncflow.outcome` (`done`, `failed`, `retried`,
 * `cancelled`), and what the attempt's record tells (`process.exit.code`, `process.pid`,
 * `asyncflow.cpu_ms`, `asyncflow.max_rss_kib`); a failure is recorded as an exception with an
 * error status. Metrics: see
 * {@linkcode instrument}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WorkflowEngine } from "@asyncflow/asyncflow";
 * import { instrument } from "@asyncflow/asyncflow/otel";
 * import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
 *
 * const exporter = new InMemorySpanExporter();
 * const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
 * await using flow = await WorkflowEngine.create();
 * using _telemetry = instrument(flow, { tracer: provider.getTracer("campaign") });
 * const step = flow.functionTask(function step(n: number) { return n + 1; });
 * await flow.block(async function campaign() { return await step(await step(1)); })();
 *
 * const spans = exporter.getFinishedSpans();
 * const campaign = spans.find((s) => s.name === "campaign")!;
 * const steps = spans.filter((s) => s.name === "step");
 * assert.equal(steps.length, 2);
 * for (const s of steps) assert.equal(s.parentSpanContext?.spanId, campaign.spanContext().spanId);
 * ```
 *
 * @module
 */
import { type Context, context, type Meter, metrics, trace, type Tracer } from "@opentelemetry/api";
import type { TaskEventSource } from "../src/events.ts";
import { now } from "../src/events.ts";
import { SpanTracker } from "./span_tracker.ts";
import { TaskMetrics } from "./task_metrics.ts";

/** Options of {@linkcode instrument}. */
export interface InstrumentOptions {
  /** Where spans go. Default: `trace.getTracer("asyncflow")` of the registered provider. */
  tracer?: Tracer;
  /** Where metrics go. Default: `metrics.getMeter("asyncflow")` of the registered provider. */
  meter?: Meter;
  /** The context the run's span (or, without one, every top-level task's span) starts in. Default: the active context now. */
  context?: Context;
  /**
   * The name of one span that stands for the whole run, from `instrument` to `stop`, parent of
   * every top-level task and block, so that one run is one trace; `false` for none (each
   * top-level task is then a root span of `context`). Default `"asyncflow run"`.
   */
  runSpan?: string | false;
  /** Record spans. Default `true`. */
  traces?: boolean;
  /** Record metrics. Default `true`. */
  metrics?: boolean;
}

/** The handle of {@linkcode instrument}: stop it (or let `using` do it) to end recording. */
export interface Instrumentation extends Disposable {
  /**
   * Stops listening. Spans still open (the engine stopped before those tasks ended) are ended
   * with `asyncflow.outcome` `unfinished`.
   */
  stop(): void;
}

/**
 * Records the spans and metrics of everything `source` runs from now on.
 *
 * Metrics: `asyncflow.tasks.live` (up-down counter, by `asyncflow.state` `pending`/`running` and
 * `asyncflow.kind`), `asyncflow.tasks.finished` (counter, by `asyncflow.outcome`),
 * `asyncflow.task.attempts` (counter of ended attempts, by outcome, `retried` included) and
 * `asyncflow.task.duration` (histogram of each attempt's run time, in seconds).
 *
 * @param source The engine (or anything with its `subscribe`).
 * @param options Tracer, meter, parent context, and what to record.
 * @returns The handle that stops recording.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WorkflowEngine } from "@asyncflow/asyncflow";
 * import { instrument } from "@asyncflow/asyncflow/otel";
 * import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
 *
 * const exporter = new InMemorySpanExporter();
 * const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
 * await using flow = await WorkflowEngine.create();
 * const telemetry = instrument(flow, { tracer: provider.getTracer("t"), metrics: false });
 * await flow.executableTask(() => "exit 3", { name: "broken" })().catch(() => undefined);
 * telemetry.stop();
 * const [span] = exporter.getFinishedSpans();
 * assert.equal(span?.name, "broken");
 * assert.equal(span?.attributes["asyncflow.outcome"], "failed");
 * assert.deepEqual(span?.events.map((e) => e.name), ["running", "exception"]);
 * ```
 */
export function instrument(
  source: TaskEventSource,
  options: InstrumentOptions = {},
): Instrumentation {
  const tracer = options.tracer ?? trace.getTracer("asyncflow");
  const parent = options.context ?? context.active();
  const traces = options.traces !== false;
  const runSpan = traces && options.runSpan !== false
    ? tracer.startSpan(options.runSpan ?? "asyncflow run", {}, parent)
    : undefined;
  const spans = traces
    ? new SpanTracker(tracer, runSpan ? trace.setSpan(parent, runSpan) : parent)
    : undefined;
  const taskMetrics = options.metrics === false
    ? undefined
    : new TaskMetrics(options.meter ?? metrics.getMeter("asyncflow"));
  const unsubscribe = source.subscribe((e) => {
    spans?.onEvent(e);
    taskMetrics?.onEvent(e);
  });
  // Backends that run tasks elsewhere send each attempt's span along (W3C trace context).
  const untrace = spans && source.useTraceContext?.((t) => spans.contextFor(t.uid, t.attempt));
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    unsubscribe();
    untrace?.();
    const time = now();
    spans?.close(time);
    runSpan?.end(time);
  };
  return { stop, [Symbol.dispose]: stop };
}
