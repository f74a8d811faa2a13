/**
 * Following a session's events: the cursor (the last sequence number
 * applied), the SSE stream and the long-poll that advance it, and the
 * re-sync from the task listing when the agent no longer has the events
 * after the cursor.
 *
 * @module
 */
import type { WireEvent } from "../../protocol/v1.ts";
import type { AgentConnection } from "./connection.ts";
import { agentFetch } from "./http.ts";
import { readSse } from "./sse.ts";

/** The session followed, and what to do with what arrives. */
export interface FollowedSession {
  /** Where the agent is. */
  readonly conn: AgentConnection;
  /** The session's id. */
  readonly sid: string;
  /** The agent answered (for the liveness check). */
  contact(): void;
  /** Applies one event (in sequence order). */
  apply(e: WireEvent): Promise<void>;
}

/**
 * A session's event cursor. Events at or below it were applied; each one
 * is applied once, in order, across reconnects.
 */
export class EventCursor {
  /** The last sequence number applied. */
  seq = 0;

  /**
   * Reads the SSE stream from the cursor until it ends.
   *
   * @throws {AgentHttpError} When the agent refuses (an expired cursor, an unknown session).
   */
  async stream(s: FollowedSession): Promise<void> {
    const res = await agentFetch(s.conn.endpoint, `/v1/sessions/${s.sid}/events`, {
      headers: { accept: "text/event-stream", "last-event-id": String(this.seq) },
      signal: s.conn.signal,
    });
    s.contact();
    for await (const message of readSse(res.body!, () => s.contact())) {
      if (message.event === "events") {
        await this.#applyAll(s, JSON.parse(message.data) as WireEvent[]);
      } else if (message.event === "gone") return await this.resync(s);
      else if (message.event === "end") return; // the next request says why
    }
  }

  /** One long-poll from the cursor. */
  async poll(s: FollowedSession): Promise<void> {
    const res = await agentFetch(
      s.conn.endpoint,
      `/v1/sessions/${s.sid}/events?after=${this.seq}&wait=25000`,
      { signal: s.conn.signal },
    );
    const body = await res.json() as { events: WireEvent[] };
    s.contact();
    await this.#applyAll(s, body.events);
  }

  /**
   * Events were dropped from the agent's memory, or (`ahead`) the agent lost some it had sent
   * before a restart: take each task's last state from the listing, and go on from the
   * listing's cursor.
   */
  async resync(s: FollowedSession, ahead = false): Promise<void> {
    let offset = 0;
    let seq = this.seq;
    while (true) {
      const res = await agentFetch(
        s.conn.endpoint,
        `/v1/sessions/${s.sid}/tasks?offset=${offset}`,
        { signal: s.conn.signal },
      );
      const page = await res.json() as { seq: number; total: number; tasks: WireEvent[] };
      if (offset === 0) seq = page.seq;
      for (const e of page.tasks) if (e.seq === undefined || e.seq <= seq) await s.apply(e);
      offset += page.tasks.length;
      if (page.tasks.length === 0 || offset >= page.total) break;
    }
    this.seq = ahead ? seq : Math.max(this.seq, seq);
  }

  async #applyAll(s: FollowedSession, events: WireEvent[]): Promise<void> {
    for (const e of events) {
      if (e.seq <= this.seq) continue; // seen before a reconnect
      this.seq = e.seq;
      await s.apply(e);
    }
  }
}
