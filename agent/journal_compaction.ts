/**
 * Compaction of the journal: what a replay still needs, rewritten beside the journal and renamed
 * over it. Closed sessions' lines go; a finished task's lines (`task`, `pid`, its events) come to
 * one `fin` line with its number, id, kind, `running` event and final event (its submission and
 * pid are no longer needed). Events keep their numbers: a replay gives the same live state and the
 * same event log, so a client's cursor resumes on it as before.
 *
 * @module
 */
import { rmSync } from "node:fs";
import { JsonlAppender, JsonlWriteError } from "../jsonl/jsonl_appender.ts";
import { parseJsonLine, TORN } from "../jsonl/json_line.ts";
import { forEachLineBytes } from "../jsonl/jsonl_lines.ts";
import type { JournalRecord } from "./journal.ts";
import { JournalWriteError } from "./journal_write_error.ts";

const FINAL: ReadonlySet<unknown> = new Set(["done", "failed", "cancelled", "lost"]);
/**
 * The head of a task line as `AgentCore.submit` writes it: its session, number and id (the checked
 * task's first key; task ids never need escapes).
 */
const TASK_HEAD = /^\{"t":"task","sid":"([0-9a-f]{32})","n":(\d+),"task":\{"id":"([^"\\]+)"/;
/**
 * The task's kind, which the checked task has after its id and optional name, priority and
 * resources (whose text cannot hold this), and before its arguments.
 */
const KIND = /,"kind":"(function|executable)"/;
/** How much of a line is decoded to read its head (a task's id, name and kind fit). */
const HEAD_BYTES = 2048;
/** The head of an event line as `Session.emit` writes it (task ids never need escapes). */
const EVENT_HEAD =
  /^\{"t":"ev","sid":"([0-9a-f]{32})","e":\{"seq":\d+,"id":"([^"\\]+)","state":"(\w+)"/;

/** What {@linkcode compactFile} did, and what it found that is not a record. */
export interface Compaction {
  /**
   * The rewritten file, open for appending (at the journal's path), or `undefined` when the file
   * was left as it was.
   */
  readonly out: JsonlAppender | undefined;
  /**
   * Where a torn last line starts (the agent was killed while writing it; nothing after it was
   * acknowledged), or `undefined`. A rewritten file is without it; one left as it was still ends
   * with it.
   */
  readonly tornAt: number | undefined;
  /** How many lines before the last are not JSON (damage: skipped). */
  readonly damaged: number;
  /** The first of them, as `parseJsonLine` says it. */
  readonly firstDamage: string | undefined;
}

/**
 * Reads a journal file line by line, collects into `records` what it keeps (skipping a torn
 * last line and damaged ones, by `parseJsonLine`'s rule) and, when some session was closed or
 * some task finished since the last compaction, rewrites the file without what a replay no longer
 * needs: to a temporary file, renamed over the journal (a crash leaves the old or the new file
 * whole).
 *
 * @throws {JournalWriteError} When the rewrite fails; the journal is untouched.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readFileSync, writeFileSync } from "node:fs";
 * import { compactFile } from "./journal_compaction.ts";
 * const sid = "a".repeat(32);
 * const path = `${Deno.makeTempDirSync()}/journal.jsonl`;
 * writeFileSync(path, [
 *   { t: "open", sid, client: "", hb: 1000, at: 0 },
 *   { t: "task", sid, n: 1, task: { id: "t1", kind: "executable", command: "true" } },
 *   { t: "ev", sid, e: { seq: 1, id: "t1", state: "running", time: 1 } },
 *   { t: "ev", sid, e: { seq: 2, id: "t1", state: "done", time: 2, value: "" } },
 * ].map((r) => JSON.stringify(r)).join("\n") + "\n");
 * const records: unknown[] = [];
 * compactFile(path, records as never).out!.close();
 * assert.deepEqual(readFileSync(path, "utf8").trim().split("\n").map((l) => JSON.parse(l).t), ["open", "fin"]);
 * assert.deepEqual(records.at(-1), {
 *   t: "fin", sid, n: 1, id: "t1", kind: "executable",
 *   r: { seq: 1, id: "t1", state: "running", time: 1 },
 *   e: { seq: 2, id: "t1", state: "done", time: 2, value: "" },
 * });
 * ```
 */
export function compactFile(path: string, records?: JournalRecord[]): Compaction {
  const closed = new Set<string>();
  const finished = new Set<string>(); // `${sid}\n${id}` of tasks whose final event is an `ev` line
  forEachLineBytes(path, (bytes) => {
    // What this pass looks for is at the start of a line: a long one is not decoded whole.
    const start = bytes.toString("utf8", 0, HEAD_BYTES);
    const sid = start.startsWith('{"t":"close"') ? closedSid(bytes.toString("utf8")) : undefined;
    if (sid !== undefined) closed.add(sid);
    const head = EVENT_HEAD.exec(start);
    if (head && FINAL.has(head[3]) && whole(bytes.toString("utf8"))) {
      finished.add(`${head[1]}\n${head[2]}`);
    }
  });
  const rewrite = closed.size > 0 || finished.size > 0;
  const tmp = rewrite ? `${path}.tmp` : undefined;
  const out = tmp === undefined ? undefined : openTmp(tmp);
  // A finished task's number and kind, from its `task` line until its final event is written.
  const accepted = new Map<
    string,
    { n: number; kind: string; running?: Record<string, unknown> }
  >();
  let tornAt: number | undefined;
  let damaged = 0;
  let firstDamage: string | undefined;
  try {
    const keep = (record: JournalRecord, line: string) => {
      records?.push(record);
      if (out === undefined) return;
      out.add(line);
      if (out.pendingChars > 1024 * 1024) out.flush();
    };
    forEachLineBytes(path, (bytes, number, last, offset) => {
      // A task line that goes is neither decoded whole nor parsed: it holds the task's
      // arguments, which may be large.
      const start = bytes.toString("utf8", 0, HEAD_BYTES);
      const head = TASK_HEAD.exec(start);
      if (head && closed.has(head[1]!)) return;
      if (head && finished.has(`${head[1]}\n${head[3]}`)) {
        const kind = KIND.exec(start.slice(head[0].length));
        if (kind) {
          accepted.set(`${head[1]}\n${head[3]}`, { n: Number(head[2]), kind: kind[1]! });
          return;
        }
      }
      const line = bytes.length <= HEAD_BYTES ? start : bytes.toString("utf8");
      let value: unknown;
      try {
        value = parseJsonLine(line, number, last, "journal");
      } catch (error) {
        damaged++;
        firstDamage ??= (error as Error).message;
        return;
      }
      if (value === TORN) {
        tornAt = offset;
        return;
      }
      const record = value as JournalRecord;
      if (typeof record?.sid !== "string") return; // not a record this agent wrote
      if (closed.has(record.sid)) return;
      const id = record.t === "task"
        ? (record.task as { id?: unknown })?.id
        : record.t === "pid"
        ? record.id
        : record.t === "ev"
        ? record.e?.id
        : undefined;
      const key = `${record.sid}\n${String(id)}`;
      if (typeof id !== "string" || !finished.has(key)) return keep(record, line);
      if (record.t === "task") {
        accepted.set(key, { n: record.n, kind: String(record.task.kind) });
      } else if (record.t === "ev" && !FINAL.has(record.e.state)) {
        const task = accepted.get(key);
        if (task === undefined) return keep(record, line); // its task line is not here: as it was
        task.running = record.e;
      } else if (record.t === "ev") {
        const task = accepted.get(key);
        if (task === undefined) return keep(record, line); // its task line is not here: as it was
        accepted.delete(key);
        const fin: JournalRecord = {
          t: "fin",
          sid: record.sid,
          n: task.n,
          id,
          kind: task.kind,
          ...(task.running ? { r: task.running } : {}),
          e: record.e,
        };
        keep(fin, JSON.stringify(fin));
      }
      // Its pid: the command is gone.
    });
    if (out !== undefined) {
      out.flush();
      out.moveTo(path);
    }
    return { out, tornAt, damaged, firstDamage };
  } catch (error) {
    if (out !== undefined) {
      try {
        out.close();
      } catch { /* what failed is the error below */ }
      rmSync(tmp!, { force: true });
    }
    throw error instanceof JsonlWriteError
      ? new JournalWriteError(error.path, error.cause)
      : new JournalWriteError(tmp ?? path, error);
  }
}

function openTmp(tmp: string): JsonlAppender {
  try {
    return JsonlAppender.open(tmp, { start: "truncate", mode: 0o600 });
  } catch (error) {
    throw new JournalWriteError(tmp, error);
  }
}

/** Whether a line is whole JSON (a torn last line is not: its task keeps its lines as they are). */
function whole(line: string): boolean {
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
}

/** The session of a line the agent wrote as `{"t":"close","sid":"…"}`, or `undefined`. */
function closedSid(line: string): string | undefined {
  if (!line.startsWith('{"t":"close"')) return undefined;
  try {
    return (JSON.parse(line) as { sid?: string }).sid;
  } catch {
    return undefined;
  }
}
