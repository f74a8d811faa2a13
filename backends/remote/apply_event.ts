/**
 * One event of the agent → the engine's report for the task, fetching a
 * result or stdout too large to travel inline.
 *
 * @module
 */
import type { BackendContext } from "../../src/backend.ts";
import type { ExecutionRecord } from "../../src/execution_record.ts";
import type { WireEvent, WireRunRecord } from "../../protocol/v1.ts";
import type { AgentConnection } from "./connection.ts";
import { agentFetch } from "./http.ts";
import { fromWireError } from "./wire.ts";

/** Whom an event is reported to, and where to fetch what it refers to. */
export interface EventTarget {
  /** The engine's report channel. */
  readonly ctx: BackendContext;
  /** The tasks in flight (id → name); a task leaves it when it ends. */
  readonly inflight: Map<string, string>;
  /** The backend's name, for messages. */
  readonly backend: string;
  /** Where the agent is. */
  readonly conn: AgentConnection;
  /** The session. */
  readonly sid: string;
  /**
   * Ends a final task's file staging: for a `done` one with declared outputs, a promise that
   * settles once they are back (or with their fingerprints, when they stay on the agent).
   */
  readonly finishStaging?: (
    id: string,
    done: boolean,
  ) => Promise<ExecutionRecord["outputs"] | undefined> | undefined;
}

/**
 * Reports one event of a task still in flight (others are ignored).
 *
 * @param e The event.
 * @param t Whom to report to.
 */
export async function applyEvent(e: WireEvent, t: EventTarget): Promise<void> {
  const { ctx, inflight } = t;
  const final = e.state !== "queued" && e.state !== "running";
  if (!inflight.has(e.id)) {
    if (final) t.finishStaging?.(e.id, false); // cancelled meanwhile: its staging is forgotten
    return;
  }
  const staging = final ? t.finishStaging?.(e.id, e.state === "done") : undefined;
  if (staging !== undefined) {
    // Outputs come back before `done`, without holding up the events of other tasks.
    inflight.delete(e.id);
    void staging.then(
      (outputs) => reportDone(e, t, outputs),
      (error) => {
        ran(e, t);
        ctx.failed(e.id, error);
      },
    );
    return;
  }
  switch (e.state) {
    case "running":
      ctx.running(e.id, e.where);
      return;
    case "done":
      inflight.delete(e.id);
      return await reportDone(e, t);
    case "failed":
    case "lost":
      ran(e, t);
      inflight.delete(e.id);
      ctx.failed(
        e.id,
        fromWireError(e.error ?? { name: "Error", message: `task ${e.id} ${e.state}` }),
      );
      return;
    case "cancelled":
      ran(e, t);
      inflight.delete(e.id);
      // As an error, so that its name reaches the engine (a WalltimeError: the pilot ended).
      ctx.cancelled(e.id, e.error ? fromWireError(e.error) : "cancelled by the agent");
      return;
  }
}

/** Gives the engine the agent's record of a finished run, when it sent one. */
function ran(e: WireEvent, t: EventTarget, outputs?: ExecutionRecord["outputs"]): void {
  const record = executionRecord(e);
  if (record === undefined || t.ctx.ran === undefined) return;
  t.ctx.ran(e.id, outputs === undefined ? record : { ...record, outputs });
}

/** Reports a `done` task with its value, fetching a result or stdout too large to come inline. */
async function reportDone(
  e: WireEvent,
  t: EventTarget,
  outputs?: ExecutionRecord["outputs"],
): Promise<void> {
  ran(e, t, outputs);
  // Inline when `value` is there; the sizes alone mean "fetch it" (a final event also carries
  // the output's size in the agent's record of the run).
  if (e.value !== undefined || (e.resultBytes === undefined && e.stdoutBytes === undefined)) {
    t.ctx.done(e.id, e.value);
    return;
  }
  try {
    const text = await fetchAll(t, e.id, e.resultBytes !== undefined ? "result" : "stdout");
    t.ctx.done(e.id, e.resultBytes !== undefined ? JSON.parse(text) : text);
  } catch (error) {
    t.ctx.failed(
      e.id,
      new Error(`RemoteBackend '${t.backend}': cannot fetch the result of ${e.id}`, {
        cause: error,
      }),
    );
  }
}

/**
 * The agent's record of a run (protocol v1's optional fields of a final event) as the engine's
 * {@linkcode ExecutionRecord}; `undefined` when the agent sent none (an older agent). The
 * outputs stay on the agent: the sizes say how much there is to fetch.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { executionRecord } from "./apply_event.ts";
 * assert.deepEqual(executionRecord({ exitCode: 0, cpuMs: 120, maxRssKiB: 2048 }), {
 *   exitCode: 0, cpuMs: 120, maxRssKiB: 2048,
 * });
 * assert.equal(executionRecord({}), undefined);
 * ```
 */
export function executionRecord(e: WireRunRecord): ExecutionRecord | undefined {
  const r: ExecutionRecord = {};
  if (e.command !== undefined) r.command = e.command;
  if (e.cwd !== undefined) r.cwd = e.cwd;
  if (e.host !== undefined) r.host = e.host;
  if (e.pid !== undefined) r.pid = e.pid;
  if (typeof e.exitCode === "number") r.exitCode = e.exitCode;
  if (typeof e.signal === "string") r.signal = e.signal;
  if (e.startedAt !== undefined) r.startedAt = e.startedAt;
  if (e.endedAt !== undefined) r.endedAt = e.endedAt;
  if (e.stdoutBytes !== undefined) r.stdoutBytes = e.stdoutBytes;
  if (e.stderrBytes !== undefined) r.stderrBytes = e.stderrBytes;
  if (typeof e.cpuMs === "number") r.cpuMs = e.cpuMs;
  if (typeof e.maxRssKiB === "number") r.maxRssKiB = e.maxRssKiB;
  return Object.keys(r).length === 0 ? undefined : r;
}

/** A task's whole result or stdout, read by offset. */
async function fetchAll(t: EventTarget, id: string, which: "result" | "stdout"): Promise<string> {
  const chunks: Uint8Array[] = [];
  let offset = 0;
  while (true) {
    const path = `/v1/sessions/${t.sid}/tasks/${encodeURIComponent(id)}/${which}?offset=${offset}`;
    const res = await agentFetch(t.conn.endpoint, path, { signal: t.conn.signal });
    const total = Number(res.headers.get("x-total-bytes"));
    const chunk = new Uint8Array(await res.arrayBuffer());
    chunks.push(chunk);
    offset += chunk.length;
    if (chunk.length === 0 || offset >= total) break;
  }
  const out = new Uint8Array(offset);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return new TextDecoder().decode(out);
}
