import type {
  WireError,
  WireExecutableTask,
  WireRunRecord,
  WireState,
  WireTask,
  WireTraceContext,
} from "../protocol/v1.ts";
import { type TraceContext, withTraceEnv } from "../src/trace_context.ts";
import { EventLog } from "./event_log.ts";

/** A finished task as a journal checkpoint keeps it: what the listing and the routes need. */
export interface FinishedTask {
  readonly id: string;
  readonly kind: WireTask["kind"];
}

/** The agent's record of one accepted task. */
export interface TaskRecord {
  /** The client's task id (never used as a file name). */
  readonly id: string;
  /** The agent-wide number of the task: names its files and its function-backend id. */
  readonly n: number;
  /** What was submitted; of a task restored from a checkpoint, only its id and kind. */
  readonly task: WireTask | FinishedTask;
  state: WireState;
  /** The JSON of the task's last event, for listings and re-syncs. */
  lastEvent?: string;
  /** Set by the runner to stop the task; cleared when it ends. */
  stop?: (() => void) | undefined;
  /**
   * Set by the command runner while the command's process group has members: ends them all,
   * also those a finished command left behind (session close, expiry, shutdown).
   */
  terminate?: (() => void) | undefined;
  /**
   * Set by the command runner: settles once the command's processes are gone and its outputs
   * written. The session's directory is removed only after that.
   */
  gone?: Promise<void>;
  /** What the runner recorded of the run (command as run, host, pid, times, exit): sent on the final event. */
  run?: WireRunRecord;
}

/** A task with the session it belongs to and the prefix of its files (`…/sessions/{sid}/{n}`). */
export interface AgentTask extends TaskRecord {
  readonly session: Session;
  readonly files: string;
}

/** Whether a state is final. */
export function isFinal(state: WireState): boolean {
  return state === "done" || state === "failed" || state === "cancelled" || state === "lost";
}

/** What a state change may carry besides the state. */
export interface EventDetail extends WireRunRecord {
  where?: string;
  value?: unknown;
  resultBytes?: number;
  error?: WireError;
}

/**
 * A client's session: its tasks by client id, its numbered event log and its
 * heartbeat deadline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Session } from "./session.ts";
 * const s = new Session("0".repeat(32), "test", 60_000, 100, () => {});
 * assert.ok(s.log.last === 0 && s.state === "open");
 * ```
 */
export class Session {
  readonly id: string;
  readonly client: string;
  readonly heartbeatTimeoutMs: number;
  readonly log: EventLog;
  readonly tasks: Map<string, TaskRecord> = new Map();
  /** `expired`: its client stopped sending heartbeats; `closed`: its client ended it. */
  state: "open" | "expired" | "closed" = "open";
  deadline: number;
  readonly #journal: (line: string) => void;

  /**
   * @param journal Receives each event's journal line.
   * @param retainBytes How much event JSON the log keeps in memory (see {@linkcode EventLog}).
   */
  constructor(
    id: string,
    client: string,
    heartbeatTimeoutMs: number,
    retain: number,
    journal: (line: string) => void,
    retainBytes?: number,
  ) {
    this.id = id;
    this.client = client;
    this.heartbeatTimeoutMs = heartbeatTimeoutMs;
    this.log = new EventLog(retain, retainBytes);
    this.deadline = Date.now() + heartbeatTimeoutMs;
    this.#journal = journal;
  }

  /** Pushes the heartbeat deadline out. */
  touch(): void {
    this.deadline = Date.now() + this.heartbeatTimeoutMs;
  }

  /**
   * Records a state change of `rec`: the task's state, the log and the
   * journal. A final task changes no more: later calls are ignored.
   *
   * @param listed What the task's record keeps instead of `detail` (an output that is also in a
   * file, by reference), so a long session's records stay small.
   * @returns Whether the change was recorded.
   */
  emit(rec: TaskRecord, state: WireState, detail: EventDetail = {}, listed?: EventDetail): boolean {
    if (isFinal(rec.state)) return false;
    rec.state = state;
    if (isFinal(state)) rec.stop = undefined;
    const seq = this.log.nextSeq;
    const time = Date.now();
    // The client's trace context goes on every event of the task, for whoever makes spans of them;
    // its first event names it, for an observer that did not see it submitted (a dashboard).
    const trace = traceOf(rec.task);
    const first = rec.lastEvent === undefined ? describe(rec.task) : undefined;
    const json = JSON.stringify({ seq, id: rec.id, state, time, ...first, ...trace, ...detail });
    // What the task's record keeps for listings and re-syncs: a large output by reference.
    rec.lastEvent = listed
      ? JSON.stringify({ seq, id: rec.id, state, time, ...trace, ...listed })
      : json;
    this.log.append(json);
    this.#journal(`{"t":"ev","sid":"${this.id}","e":${json}}`);
    return true;
  }

  /**
   * Replays an event read from the journal; it keeps its number `seq`.
   *
   * @returns Whether it was taken (not when its number is not above the last one's).
   */
  replay(rec: TaskRecord, json: string, state: WireState, seq: number): boolean {
    if (this.log.append(json, seq) === 0) return false;
    rec.state = state;
    rec.lastEvent = json;
    return true;
  }
}

/** The W3C trace context a task was submitted with, if any (see protocol v1). */
function traceOf(task: WireTask | FinishedTask): TraceContext | undefined {
  const { traceparent, tracestate } = task as WireTraceContext;
  if (traceparent === undefined) return undefined;
  return tracestate === undefined ? { traceparent } : { traceparent, tracestate };
}

/**
 * A command as it is run: a task submitted with trace context gets it in `TRACEPARENT` and
 * `TRACESTATE`, so an instrumented program joins the client's trace under the attempt's span.
 */
export function withTraceCarriers<T extends WireTask | FinishedTask>(task: T): T {
  if (task.kind !== "executable") return task;
  const trace = traceOf(task);
  if (trace === undefined) return task;
  return { ...task, env: withTraceEnv((task as WireExecutableTask).env, trace) };
}

/** The task's kind and name, as its first event carries them. */
export function describe(task: WireTask | FinishedTask): { kind: string; name?: string } {
  const name = (task as WireTask).name;
  return name === undefined ? { kind: task.kind } : { kind: task.kind, name };
}
