/**
 * How a restarted agent rebuilds its sessions from the journal: sessions and tasks come back,
 * events keep their numbers, a task that was running is lost (its process group killed when it
 * is surely the one the journal names), and a task that only waited is handed back to be run.
 *
 * @module
 */
import { mkdirSync } from "node:fs";
import type { WireError, WireState, WireTask } from "../protocol/v1.ts";
import type { AgentLog } from "./agent_log.ts";
import type { JournalRecord } from "./journal.ts";
import { killRecordedGroup, type ProcessIdentity } from "./process_identity.ts";
import { firstIssue, SESSION_ID, TASK_ID, wireTask } from "./schemas.ts";
import { type AgentTask, type FinishedTask, isFinal, type Session } from "./session.ts";
import { killGroups, markedGroups } from "./task_marker.ts";

/** What the replay rebuilds: the agent core, as seen from its journal. */
export interface ReplayTarget {
  /** The agent's directory (`sessions/` below it). */
  readonly dir: string;
  readonly log: AgentLog;
  readonly sessions: Map<string, Session>;
  /** A session the journal opened. */
  openSession(sid: string, client: string, heartbeatTimeoutMs: number): void;
  /** A task the journal accepted under its number `n` (of a checkpointed one, its id and kind). */
  acceptTask(session: Session, task: WireTask | FinishedTask, n: number): void;
  /** An event the journal holds, under its number `seq`. */
  replayEvent(session: Session, rec: AgentTask, json: string, state: WireState, seq: number): void;
  /** A task that was running when the agent stopped. */
  lose(rec: AgentTask, error: WireError): void;
}

type RecordedPid = Partial<ProcessIdentity> & { pid: number };

/** An event read from the journal, applied once all are read. */
interface ReplayedEvent {
  session: Session;
  rec: AgentTask;
  json: string;
  state: WireState;
  seq: number;
}

/**
 * Replays `records` into `target`. A line of the wrong shape is skipped and logged.
 *
 * @returns The tasks that were accepted but had not started, in their order: the caller runs them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AgentLog } from "./agent_log.ts";
 * import { replayJournal } from "./journal_replay.ts";
 * const lines: string[] = [];
 * const target = {
 *   dir: Deno.makeTempDirSync(), log: new AgentLog({ stderr: (l) => lines.push(l) }),
 *   sessions: new Map(), openSession() {}, acceptTask() {}, replayEvent() {}, lose() {},
 * };
 * assert.deepEqual(replayJournal([{ t: "open", sid: "nope", client: "", hb: 1, at: 0 }], target), []);
 * assert.match(lines[0]!, /skipped a journal line it cannot use error="'sid' must be 32 hex digits/);
 * ```
 */
export function replayJournal(
  records: readonly JournalRecord[],
  target: ReplayTarget,
): AgentTask[] {
  const pids = new Map<string, RecordedPid>();
  const events: ReplayedEvent[] = [];
  for (const r of records) {
    try {
      replayOne(r, target, pids, events);
    } catch (error) {
      // A line of the wrong shape (hand-edited, or from another version) must not keep the
      // agent from starting: it is skipped, and said.
      target.log.warn("skipped a journal line it cannot use", {
        error: (error as Error).message,
        line: JSON.stringify(r).slice(0, 200),
      });
    }
  }
  // In the order of their numbers: a checkpointed task's events sit at its final event's place.
  events.sort((a, b) => a.seq - b.seq);
  for (const e of events) target.replayEvent(e.session, e.rec, e.json, e.state, e.seq);
  let marked: Map<string, Set<number>> | undefined; // one pass over /proc, only if needed
  const waiting: AgentTask[] = [];
  for (const session of target.sessions.values()) {
    mkdirSync(`${target.dir}/sessions/${session.id}`, { recursive: true });
    for (const rec of session.tasks.values() as Iterable<AgentTask>) {
      if (isFinal(rec.state)) continue;
      const recorded = pids.get(`${session.id}\n${rec.id}`);
      // Started, but killed before its pid was journaled: found by the mark it carries.
      const mark = !recorded && rec.task.kind === "executable"
        ? (marked ??= markedGroups()).get(rec.files)
        : undefined;
      if (rec.state === "queued" && !recorded && mark === undefined) {
        // It never started: its submission is in the journal, so this agent runs it.
        waiting.push(rec);
        continue;
      }
      const refused = recorded && killRecordedGroup(recorded);
      if (refused) target.log.warn("not killed", { id: rec.id, why: refused });
      killGroups(mark);
      target.lose(rec, {
        name: "TaskLostError",
        message:
          `task '${rec.id}' was ${rec.state} when the agent stopped; the restarted agent did not run it again`,
      });
    }
  }
  return waiting;
}

const STATES: ReadonlySet<string> = new Set([
  "queued",
  "running",
  "done",
  "failed",
  "cancelled",
  "lost",
]);

function replayOne(
  r: JournalRecord,
  target: ReplayTarget,
  pids: Map<string, RecordedPid>,
  events: ReplayedEvent[],
): void {
  const session = target.sessions.get(r.sid);
  if (r.t === "open") {
    target.openSession(sid(r.sid), String(r.client ?? ""), positiveInt(r.hb, "hb"));
  } else if (r.t === "close") {
    target.sessions.delete(r.sid);
  } else if (session === undefined) {
    return;
  } else if (r.t === "task") {
    const parsed = wireTask.safeParse(r.task);
    if (!parsed.success) throw new TypeError(firstIssue(parsed.error));
    target.acceptTask(session, parsed.data as WireTask, positiveInt(r.n, "n"));
  } else if (r.t === "pid") {
    positiveInt(r.pid, "pid");
    pids.set(`${r.sid}\n${r.id}`, r);
  } else if (r.t === "ev") {
    const rec = session.tasks.get(String(r.e?.id)) as AgentTask | undefined;
    if (rec === undefined) return;
    const state = r.e.state as WireState;
    if (!STATES.has(state)) throw new TypeError(`unknown state '${state}'`);
    events.push({
      session,
      rec,
      json: JSON.stringify(r.e),
      state,
      seq: positiveInt(r.e.seq, "seq"),
    });
  } else if (r.t === "fin") {
    // A finished task, checkpointed: its record and its final event, under the event's number.
    if (typeof r.id !== "string" || !TASK_ID.test(r.id)) throw new TypeError("malformed 'id'");
    if (r.kind !== "function" && r.kind !== "executable") {
      throw new TypeError(`unknown kind '${r.kind}'`);
    }
    const state = r.e?.state as WireState;
    if (!isFinal(state) || r.e.id !== r.id) throw new TypeError(`'fin' of a task not final`);
    if (r.r !== undefined && (r.r.state !== "running" || r.r.id !== r.id)) {
      throw new TypeError(`'fin' with a running event of another task or state`);
    }
    const seq = positiveInt(r.e.seq, "seq");
    const started = r.r === undefined ? undefined : positiveInt(r.r.seq, "seq");
    target.acceptTask(session, { id: r.id, kind: r.kind }, positiveInt(r.n, "n"));
    const rec = session.tasks.get(r.id) as AgentTask;
    if (started !== undefined) {
      events.push({ session, rec, json: JSON.stringify(r.r), state: "running", seq: started });
    }
    events.push({ session, rec, json: JSON.stringify(r.e), state, seq });
  } else {
    throw new TypeError(`unknown record type '${(r as { t?: unknown }).t}'`);
  }
}

function positiveInt(value: unknown, name: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 1) {
    throw new TypeError(`'${name}' must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value as number;
}

function sid(value: unknown): string {
  if (typeof value !== "string" || !SESSION_ID.test(value)) {
    throw new TypeError(`'sid' must be 32 hex digits, got ${JSON.stringify(value)}`);
  }
  return value;
}
