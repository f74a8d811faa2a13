/**
 * One event of the agent → the engine's report for the task, fetching a
 * result or stdout too large to travel inline.
 *
 * @module
 */
import type { BackendContext } from "../../src/backend.ts";
import type { WireEvent } from "../../protocol/v1.ts";
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
}

/**
 * Reports one event of a task still in flight (others are ignored).
 *
 * @param e The event.
 * @param t Whom to report to.
 */
export async function applyEvent(e: WireEvent, t: EventTarget): Promise<void> {
  const { ctx, inflight } = t;
  if (!inflight.has(e.id)) return;
  switch (e.state) {
    case "running":
      ctx.running(e.id, e.where);
      return;
    case "done": {
      inflight.delete(e.id);
      if (e.resultBytes === undefined && e.stdoutBytes === undefined) {
        ctx.done(e.id, e.value);
        return;
      }
      try {
        const text = await fetchAll(t, e.id, e.resultBytes !== undefined ? "result" : "stdout");
        ctx.done(e.id, e.resultBytes !== undefined ? JSON.parse(text) : text);
      } catch (error) {
        ctx.failed(
          e.id,
          new Error(`RemoteBackend '${t.backend}': cannot fetch the result of ${e.id}`, {
            cause: error,
          }),
        );
      }
      return;
    }
    case "failed":
    case "lost":
      inflight.delete(e.id);
      ctx.failed(
        e.id,
        fromWireError(e.error ?? { name: "Error", message: `task ${e.id} ${e.state}` }),
      );
      return;
    case "cancelled":
      inflight.delete(e.id);
      // As an error, so that its name reaches the engine (a WalltimeError: the pilot ended).
      ctx.cancelled(e.id, e.error ? fromWireError(e.error) : "cancelled by the agent");
      return;
  }
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
