import {
  type Attributes,
  type Context,
  isSpanContextValid,
  type Span,
  SpanStatusCode,
  trace,
  type Tracer,
} from "@opentelemetry/api";
import { now, type TaskEvent } from "../src/events.ts";
import type { TraceContext } from "../src/trace_context.ts";
import type { ExecutionRecord } from "../src/execution_record.ts";

/** What a span needs to know of a task between its events; dropped at its final event. */
interface Tracked {
  /** The span's name: the task's template, so names stay few (`generate`, not `point[3]/generate`). */
  name: string;
  /** The task's own name, in `asyncflow.name`. */
  fullName: string;
  kind: TaskEvent["kind"];
  workflowId: string;
  parent?: string;
  created: number;
  backend?: string;
  /** The open span of the running attempt (or of a running block). */
  span?: Span;
  /** The context of `span`, the parent of the spans a block's members open. */
  context?: Context;
  /** `span` was opened as the attempt was submitted, for its trace context; `running` is due. */
  early?: boolean;
}

/**
 * Turns the event stream into spans: one per task attempt and one per block
 * run, each started at its `running` event and ended at the event that ends
 * it (`done`, `failed`, `retried`, `cancelled`), parented by the enclosing
 * block's span. A task that ends without running (a dependency failed, it was
 * cancelled while waiting, or it was resumed from a record) gets one span from
 * its call to its end, with `asyncflow.ran` false, so that the trace still
 * shows why it did not run. Memory follows the unfinished tasks only.
 */
export class SpanTracker {
  readonly #tracer: Tracer;
  readonly #root: Context;
  readonly #tasks = new Map<string, Tracked>();

  constructor(tracer: Tracer, root: Context) {
    this.#tracer = tracer;
    this.#root = root;
  }

  /** Applies one event. */
  onEvent(e: TaskEvent): void {
    if (e.type === "created") {
      const t: Tracked = {
        name: e.template ?? e.name,
        fullName: e.name,
        kind: e.kind,
        workflowId: e.workflowId,
        created: e.time,
      };
      if (e.parent !== undefined) t.parent = e.parent;
      this.#tasks.set(e.uid, t);
      return;
    }
    const t = this.#tasks.get(e.uid);
    if (t === undefined) return; // instrumented after this task was created
    if (e.backend !== undefined) t.backend = e.backend;
    switch (e.type) {
      case "running":
        if (t.early) this.#ranNow(e, t);
        else this.#start(e, t);
        return;
      case "retried":
        this.#end(t, e, "retried");
        return;
      case "done":
      case "failed":
      case "cancelled":
        if (t.span === undefined) this.#start(e, t, false);
        this.#end(t, e, e.type);
        this.#tasks.delete(e.uid);
        return;
      default:
        return;
    }
  }

  /**
   * The W3C trace context of a task's attempt as it is submitted: its span's. A backend that
   * sends it asks before the attempt runs, so the span opens now, at its submission, and its
   * `running` becomes an event on it.
   *
   * @returns The headers, or `undefined` for a task not tracked or a span that records nothing.
   */
  contextFor(uid: string, attempt: number): TraceContext | undefined {
    const t = this.#tasks.get(uid);
    if (t === undefined) return undefined;
    if (t.span === undefined) {
      this.#start({ uid, attempt, time: now() } as TaskEvent, t);
      t.early = true;
    }
    const sc = t.span!.spanContext();
    if (!isSpanContextValid(sc)) return undefined;
    const flags = (sc.traceFlags & 0xff).toString(16).padStart(2, "0");
    const traceparent = `00-${sc.traceId}-${sc.spanId}-${flags}`;
    const tracestate = sc.traceState?.serialize();
    return tracestate ? { traceparent, tracestate } : { traceparent };
  }

  /** Ends every open span as `unfinished` (the engine stopped reporting) and forgets all. */
  close(time: number): void {
    for (const t of this.#tasks.values()) {
      if (t.span === undefined) continue;
      t.span.setAttribute("asyncflow.outcome", "unfinished");
      t.span.end(time);
    }
    this.#tasks.clear();
  }

  #start(e: TaskEvent, t: Tracked, ran = true): void {
    const parent = t.parent === undefined ? undefined : this.#tasks.get(t.parent)?.context;
    const attributes: Attributes = {
      "asyncflow.uid": e.uid,
      "asyncflow.name": t.fullName,
      "asyncflow.kind": t.kind,
      "asyncflow.workflow_id": t.workflowId,
      "asyncflow.ran": ran,
    };
    if (e.attempt !== undefined) attributes["asyncflow.attempt"] = e.attempt;
    if (t.backend !== undefined) attributes["asyncflow.backend"] = t.backend;
    if (e.where !== undefined) attributes["asyncflow.where"] = e.where;
    if (t.parent !== undefined) attributes["asyncflow.parent_uid"] = t.parent;
    t.span = this.#tracer.startSpan(
      t.name,
      { startTime: ran ? e.time : t.created, attributes },
      parent ?? this.#root,
    );
    if (t.kind === "block") t.context = trace.setSpan(parent ?? this.#root, t.span);
  }

  /** An attempt whose span opened at its submission starts running. */
  #ranNow(e: TaskEvent, t: Tracked): void {
    delete t.early;
    const where = e.where === undefined ? {} : { "asyncflow.where": e.where };
    t.span!.setAttributes(where);
    t.span!.addEvent("running", where, e.time);
  }

  #end(t: Tracked, e: TaskEvent, outcome: string): void {
    const span = t.span;
    if (span === undefined) return;
    if (t.early) span.setAttribute("asyncflow.ran", false); // submitted, never running
    delete t.early;
    span.setAttribute("asyncflow.outcome", outcome);
    if (e.resumed) span.setAttribute("asyncflow.resumed", true);
    if (e.record !== undefined) span.setAttributes(recordAttributes(e.record));
    if (e.error !== undefined && outcome !== "cancelled") {
      const { name, message, stack } = e.error;
      span.recordException(
        stack === undefined ? { name, message } : { name, message, stack },
        e.time,
      );
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: `${e.error.name}: ${e.error.message}`,
      });
    } else if (outcome === "cancelled") {
      span.addEvent("cancelled", e.error ? { "asyncflow.reason": e.error.message } : {}, e.time);
    } else {
      span.setStatus({ code: SpanStatusCode.OK });
    }
    span.end(e.time);
    delete t.span;
  }
}

/**
 * What the attempt's record tells, as span attributes: the semantic conventions' names where one
 * fits (`process.exit.code` and `process.pid`, as on a CLI span), ours for what has none (they
 * define CPU time and memory as metrics only).
 */
function recordAttributes(r: ExecutionRecord): Attributes {
  const a: Attributes = {};
  if (r.exitCode !== undefined) a["process.exit.code"] = r.exitCode;
  if (r.pid !== undefined) a["process.pid"] = r.pid;
  if (r.signal !== undefined) a["asyncflow.signal"] = r.signal;
  if (r.host !== undefined) a["asyncflow.host"] = r.host;
  if (r.cpuMs !== undefined) a["asyncflow.cpu_ms"] = r.cpuMs;
  if (r.maxRssKiB !== undefined) a["asyncflow.max_rss_kib"] = r.maxRssKiB;
  return a;
}
