import type { FileRecord } from "./declared_files.ts";
import type { ExecutionRecord } from "./execution_record.ts";
import type { TaskKind } from "./task_state.ts";
import type { TraceContextProvider } from "./trace_context.ts";

/**
 * Every kind of event in a task's life, in the order a task meets them:
 * `created` (the call was made), `resolved` (its dependencies are satisfied),
 * `queued` (waiting for a backend slot), `submitted` (handed to the backend),
 * `running`, `done`, `failed`, `cancelled`, and `retried` (a failed attempt
 * will be run again). The one list: readers of traces check against it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TASK_EVENT_TYPES } from "@asyncflow/asyncflow";
 * assert.equal(TASK_EVENT_TYPES[0], "created");
 * assert.ok(TASK_EVENT_TYPES.includes("retried"));
 * ```
 */
export const TASK_EVENT_TYPES = [
  "created",
  "resolved",
  "queued",
  "submitted",
  "running",
  "done",
  "failed",
  "cancelled",
  "retried",
] as const;

/** One of {@linkcode TASK_EVENT_TYPES}. */
export type TaskEventType = typeof TASK_EVENT_TYPES[number];

/**
 * One state change of one task or block: the single stream from which
 * progress, statistics, traces and reports are all derived.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WorkflowEngine, type TaskEvent } from "@asyncflow/asyncflow";
 * await using flow = await WorkflowEngine.create();
 * const seen: TaskEvent[] = [];
 * flow.subscribe((e) => seen.push(e));
 * await flow.functionTask(() => 1)();
 * assert.ok(seen.at(-1)?.type === "done");
 * ```
 */
export interface TaskEvent {
  /** What happened. */
  type: TaskEventType;
  /** When, in milliseconds since the Unix epoch, with sub-millisecond precision. */
  time: number;
  /** The task's uid. */
  uid: string;
  /** The task's name: under its block's (`point[3]/generate`), with its key or block arguments. */
  name: string;
  /**
   * The name of the task's definition, which all its calls share (`generate` for
   * `point[3]/generate`): on `created`, when it differs from `name`.
   */
  template?: string;
  /** What kind of task. */
  kind: TaskKind;
  /** The workflow the task belongs to. */
  workflowId: string;
  /** The uid of the enclosing block, if any (on `created`). */
  parent?: string;
  /** The uids of the tasks it depends on (on `created`). */
  deps?: string[];
  /** The backend that runs it (on `queued` and later). */
  backend?: string;
  /**
   * The attempt, 1 for the first run (as `taskContext().attempt` and `retryOn`
   * count): on `submitted`, `running`, `retried`, and on `failed` or
   * `cancelled` when an attempt was under way.
   */
  attempt?: number;
  /** The error, for `failed`, `cancelled` and `retried`; `stack` for an error of the task's own code. */
  error?: { name: string; message: string; stack?: string };
  /** The value's short rendering, for `done` (at most 200 characters). */
  value?: string;
  /** The delay before the next attempt, for `retried`. */
  delayMs?: number;
  /** Where the task runs (a worker, a node), for `running`, when the backend says. */
  where?: string;
  /** The task's memo key (name, kind, resolved arguments, command), on `done` when results are recorded. */
  memoKey?: string;
  /** The full result, on `done` when results are recorded (`recordResults`), for resuming. */
  result?: unknown;
  /** `true` on a `done` event whose result came from `resume` instead of running the task. */
  resumed?: boolean;
  /**
   * Why a task recorded as done in the run resumed from runs again (`out/p3.dat missing`,
   * `in/p2.txt changed`, `forced`): on `queued`, on a resumed run.
   */
  rerun?: string;
  /**
   * The fingerprints of the task's declared inputs and outputs as it finished (or was found
   * unchanged on resume): on `done`, when results are recorded. See docs/files.md.
   */
  files?: FileRecord;
  /**
   * What the attempt ran, where and how it ended, on `done`, `failed` and `retried` when its
   * backend reported it (`BackendContext.ran`).
   */
  record?: ExecutionRecord;
  /**
   * Set by a trace writer, not the engine: the file (relative to the trace) that holds a `result`
   * too large for one trace line; readers load `result` from it.
   */
  resultFile?: string;
}

/** Receives events; called synchronously, so it should be quick. */
export type TaskEventListener = (event: TaskEvent) => void;

/**
 * Anything that hands out the engine's events: a `WorkflowEngine`, or a test's stand-in. The
 * dashboard and the OpenTelemetry export take one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type TaskEventSource, WorkflowEngine } from "@asyncflow/asyncflow";
 * await using flow = await WorkflowEngine.create();
 * const source: TaskEventSource = flow;
 * const seen: string[] = [];
 * const stop = source.subscribe((e) => seen.push(e.type));
 * await flow.functionTask(() => 1)();
 * stop();
 * assert.equal(seen.at(-1), "done");
 * ```
 */
export interface TaskEventSource {
  /** Calls `listener` with every event; returns the function that stops it. */
  subscribe(listener: TaskEventListener): () => void;
  /** Takes the trace context of each submitted attempt (see `WorkflowEngine.useTraceContext`). */
  useTraceContext?(provider: TraceContextProvider): () => void;
}

/** The current time in ms since the epoch, with sub-millisecond precision. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** Errors asyncflow makes itself: their stacks point into asyncflow, not at the task's code. */
const ENGINE_ERRORS = new Set([
  "CancelledError",
  "TimeoutError",
  "DependencyFailureError",
  "ExecutableError",
  "EngineClosedError",
  "WorkerCrashError",
  "NodeLostError",
  "AgentHttpError",
  "MissingOutputError",
]);

/** The most of a stack an event carries: enough for the frames that matter, not a 1 MB trace line. */
const STACK_CHARS = 4000;

/**
 * Renders an error for an event: its name, its message and — for an error of the task's own code
 * (a function's throw, also from a worker or an agent) — its stack, bounded.
 */
export function errorInfo(error: unknown): { name: string; message: string; stack?: string } {
  if (!(error instanceof Error)) return { name: "Error", message: String(error) };
  const info: { name: string; message: string; stack?: string } = {
    name: error.name,
    message: error.message,
  };
  if (typeof error.stack === "string" && !ENGINE_ERRORS.has(error.name)) {
    info.stack = error.stack.length > STACK_CHARS
      ? `${error.stack.slice(0, STACK_CHARS)}\n    … (${
        error.stack.length - STACK_CHARS
      } more characters)`
      : error.stack;
  }
  return info;
}

/**
 * Renders a value for an event, bounded in size so traces stay small.
 */
export function valueInfo(value: unknown): string {
  let text: string;
  try {
    text = typeof value === "string" ? value : JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

/**
 * Turns listener subscriptions into an async iterator with an unbounded
 * buffer that is dropped when the iterator is closed.
 */
export function eventIterator(
  subscribe: (listener: TaskEventListener) => () => void,
  signal?: AbortSignal,
): AsyncIterableIterator<TaskEvent> {
  let buffer: TaskEvent[] = [];
  let head = 0; // index of the next event to hand out: O(1) per event even with a long backlog
  let wake: (() => void) | undefined;
  let closed = false;
  const unsubscribe = subscribe((event) => {
    buffer.push(event);
    wake?.();
  });
  const close = () => {
    closed = true;
    unsubscribe();
    wake?.();
  };
  signal?.addEventListener("abort", close, { once: true });
  const iterator: AsyncIterableIterator<TaskEvent> = {
    async next(): Promise<IteratorResult<TaskEvent>> {
      while (head === buffer.length && !closed) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
      if (head < buffer.length) {
        const value = buffer[head++]!;
        if (head === buffer.length) {
          buffer = [];
          head = 0;
        }
        return { value, done: false };
      }
      return { value: undefined, done: true };
    },
    return(): Promise<IteratorResult<TaskEvent>> {
      close();
      signal?.removeEventListener("abort", close);
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
