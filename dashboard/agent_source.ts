/**
 * The tasks a running agent holds, as the engine's events: what `asyncflow dashboard --agent`
 * shows. It lists the agent's sessions (`GET /v1/sessions`, again every `pollMs` for new ones),
 * reads each session's task listing and then follows its event stream, as an observer (its
 * reads do not keep a session whose client has gone alive). Every `pollMs` it also reads the
 * listing's new entries: the agent sends no event for a task that waits, so that is how a task
 * submitted later is shown waiting. The agent's token stays here: the dashboard's page has its own.
 *
 * @module
 */
import { executionRecord } from "../backends/remote/apply_event.ts";
import { AgentConnection } from "../backends/remote/connection.ts";
import { agentFetch, AgentHttpError, type Endpoint, pause } from "../backends/remote/http.ts";
import { readSse } from "../backends/remote/sse.ts";
import { OBSERVER_HEADER, type WireEvent, type WireState } from "../protocol/v1.ts";
import type { TaskEvent, TaskEventListener, TaskEventSource } from "../src/events.ts";
import type { TaskKind } from "../src/task_state.ts";

/** Where the agent is, and how often to look for new sessions. */
export interface AgentSourceOptions {
  /** The agent's URL and token. */
  endpoint?: Endpoint;
  /** Or its endpoint file (`{ url, token }`, and a certificate pin with TLS). */
  endpointFile?: string;
  /** How often the sessions are listed again, in ms. Default 2000. */
  pollMs?: number;
}

/** What the listing says of a task: its last event, with its kind and name. */
type Listed = Partial<WireEvent> & { id: string; state: WireState; kind?: string; name?: string };

const FINAL = new Set<WireState>(["done", "failed", "cancelled", "lost"]);
const OBSERVE = { [OBSERVER_HEADER]: "1" };

/**
 * Follows every session of an agent until {@linkcode AgentEventSource.close}, and hands each
 * task's state changes to its listeners as `created`, `running`, `done`, `failed`, `cancelled`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { startAgent } from "@asyncflow/asyncflow/agent";
 * import { AgentEventSource } from "@asyncflow/asyncflow/dashboard";
 * await using agent = await startAgent({ cores: 1 });
 * const source = new AgentEventSource({ endpoint: { url: agent.url, token: agent.token } });
 * const seen: string[] = [];
 * source.subscribe((e) => seen.push(e.type));
 * assert.deepEqual(seen, []); // no session yet
 * await source.close();
 * ```
 */
export class AgentEventSource implements TaskEventSource {
  readonly #conn: AgentConnection;
  readonly #stop = new AbortController();
  readonly #pollMs: number;
  readonly #listeners = new Set<TaskEventListener>();
  /** Per followed session: the tasks seen (uid → what their events share, and whether final). */
  readonly #sessions = new Map<string, Map<string, { base: Base; final: boolean }>>();
  /** Per followed session: how many entries of its task listing have been read. */
  readonly #listed = new Map<string, number>();
  #running: Promise<void> | undefined;

  /**
   * A source of the agent's tasks; it starts following at the first `subscribe`.
   *
   * @param options The agent's endpoint (or endpoint file) and how often to list its sessions.
   * @throws {TypeError} Without an endpoint or endpoint file.
   */
  constructor(options: AgentSourceOptions) {
    if (options.endpoint === undefined && options.endpointFile === undefined) {
      throw new TypeError("AgentEventSource: give 'endpoint' ({ url, token }) or 'endpointFile'");
    }
    this.#conn = new AgentConnection(options.endpoint, options.endpointFile, this.#stop.signal);
    this.#pollMs = options.pollMs ?? 2_000;
  }

  /** Starts following on the first listener; returns the function that removes it. */
  subscribe(listener: TaskEventListener): () => void {
    this.#listeners.add(listener);
    this.#running ??= this.#discover();
    return () => this.#listeners.delete(listener);
  }

  /** Stops following and waits until every request has ended. */
  async close(): Promise<void> {
    this.#stop.abort();
    await this.#running;
  }

  /** Lists the sessions now and every `pollMs`, and follows each new one. */
  async #discover(): Promise<void> {
    const followed: Promise<void>[] = [];
    while (!this.#stop.signal.aborted) {
      try {
        const res = await agentFetch(this.#conn.endpoint, "/v1/sessions", this.#init());
        const { sessions } = await res.json() as {
          sessions: { session: string; client: string }[];
        };
        for (const s of sessions) {
          const workflowId = s.client || s.session.slice(0, 8);
          if (this.#sessions.has(s.session)) await this.#newlySubmitted(s.session, workflowId);
          else {
            this.#sessions.set(s.session, new Map());
            followed.push(this.#follow(s.session, workflowId));
          }
        }
      } catch (error) {
        if (this.#stop.signal.aborted) break;
        console.error(`asyncflow dashboard: cannot list the agent's sessions: ${message(error)}`);
      }
      await pause(this.#pollMs, this.#stop.signal);
    }
    await Promise.allSettled(followed);
  }

  /** One session: its listing, then its events from there, until it is gone. */
  async #follow(sid: string, workflowId: string): Promise<void> {
    let after: number | undefined;
    while (!this.#stop.signal.aborted) {
      try {
        after ??= await this.#listing(sid, workflowId);
        const res = await agentFetch(this.#conn.endpoint, `/v1/sessions/${sid}/events`, {
          ...this.#init(),
          headers: { ...OBSERVE, "last-event-id": String(after) },
        });
        for await (const m of readSse(res.body!)) {
          if (m.event === "end") return; // the session was closed or expired
          if (m.event === "gone") after = undefined; // the cursor fell out of memory: re-list
          if (m.event !== "events") continue;
          for (const e of JSON.parse(m.data) as WireEvent[]) this.#apply(sid, workflowId, e);
          if (m.id !== undefined) after = Number(m.id);
        }
        if (after === undefined) continue;
      } catch (error) {
        if (this.#stop.signal.aborted) return;
        if (error instanceof AgentHttpError) {
          if (error.code === "cursor_expired") {
            after = undefined; // re-read the listing
            continue;
          }
          if (error.status === 404 || error.status === 410) return; // closed, expired, forgotten
        }
      }
      await pause(1_000, this.#stop.signal); // the stream ended or broke: reconnect
    }
  }

  /** The session's tasks as they stand; returns the cursor the stream goes on from. */
  async #listing(sid: string, workflowId: string): Promise<number> {
    let seq = 0;
    for (let offset = 0;;) {
      const page = await this.#page(sid, offset);
      if (offset === 0) seq = page.seq;
      for (const t of page.tasks) this.#applyListed(sid, workflowId, t);
      offset += page.tasks.length;
      this.#listed.set(sid, offset);
      if (page.tasks.length === 0 || offset >= page.total) return seq;
    }
  }

  /**
   * The tasks a session's client submitted since its listing was last read, shown waiting. The
   * agent sends no event for a task that waits for a core, so only its listing (in submission
   * order) has them; their later states come through the event stream.
   */
  async #newlySubmitted(sid: string, workflowId: string): Promise<void> {
    let offset = this.#listed.get(sid);
    if (offset === undefined) return; // its first listing has not been read yet
    try {
      for (;;) {
        const page = await this.#page(sid, offset);
        for (const t of page.tasks) this.#created(sid, workflowId, t, Date.now());
        offset += page.tasks.length;
        this.#listed.set(sid, offset);
        if (page.tasks.length === 0 || offset >= page.total) return;
      }
    } catch (error) {
      // A session that has just closed or expired: its stream's end says so.
      if (!(error instanceof AgentHttpError && (error.status === 404 || error.status === 410))) {
        throw error;
      }
    }
  }

  /** One page of a session's task listing, from `offset`. */
  async #page(
    sid: string,
    offset: number,
  ): Promise<{ seq: number; total: number; tasks: Listed[] }> {
    const res = await agentFetch(
      this.#conn.endpoint,
      `/v1/sessions/${sid}/tasks?offset=${offset}`,
      { ...this.#init(), headers: OBSERVE },
    );
    return await res.json() as { seq: number; total: number; tasks: Listed[] };
  }

  #applyListed(sid: string, workflowId: string, t: Listed): void {
    const time = t.time ?? Date.now();
    const base = this.#created(sid, workflowId, t, t.startedAt ?? time);
    if (t.state === "queued" || base === undefined) return;
    if (t.state !== "running" && t.startedAt !== undefined) {
      this.#emit({ ...base, type: "running", time: t.startedAt, attempt: 1 });
    }
    this.#apply(sid, workflowId, { ...t, seq: t.seq ?? 0, time } as WireEvent);
  }

  /** Emits `created` the first time a task is seen; the fields its events share. */
  #created(sid: string, workflowId: string, t: Listed, time: number): Base | undefined {
    const tasks = this.#sessions.get(sid)!;
    const uid = `${sid.slice(0, 8)}:${t.id}`;
    const known = tasks.get(uid);
    if (known) return known.final ? undefined : known.base;
    const name = t.name ?? t.id;
    const kind: TaskKind = t.kind === "executable" ? "executable" : "function";
    const base: Base = { uid, name, kind, workflowId, backend: "agent" };
    tasks.set(uid, { base, final: false });
    const template = templateOf(name);
    this.#emit({
      ...base,
      type: "created",
      time,
      deps: [],
      ...(template !== name ? { template } : {}),
    });
    return base;
  }

  /** One event of the agent's stream, as the engine's. */
  #apply(sid: string, workflowId: string, e: WireEvent & { kind?: string; name?: string }): void {
    const base = this.#created(sid, workflowId, e, e.startedAt ?? e.time);
    if (base === undefined) return; // already final
    if (e.state === "running") {
      this.#emit({ ...base, type: "running", time: e.time, attempt: 1, ...where(e) });
      return;
    }
    if (!FINAL.has(e.state)) return;
    this.#sessions.get(sid)!.get(base.uid)!.final = true;
    const record = executionRecord(e);
    const common = { ...base, time: e.time, ...(record ? { record } : {}) };
    if (e.state === "done") this.#emit({ ...common, type: "done" });
    else if (e.state === "cancelled") this.#emit({ ...common, type: "cancelled", ...error(e) });
    else {
      const failure = e.error ?? { name: "Error", message: `task ${e.id} ${e.state}` };
      this.#emit({ ...common, type: "failed", attempt: 1, error: failure });
    }
  }

  #emit(e: TaskEvent): void {
    for (const listener of this.#listeners) listener(e);
  }

  #init(): { signal: AbortSignal } {
    return { signal: this.#conn.signal };
  }
}

type Base = Pick<TaskEvent, "uid" | "name" | "kind" | "workflowId" | "backend">;

/** A task's template from its name: the last part, without its key (`point[3]/generate`). */
function templateOf(name: string): string {
  return name.slice(name.lastIndexOf("/") + 1).replace(/\[.*\]$/, "") || name;
}

function where(e: WireEvent): { where?: string } {
  return e.where === undefined ? {} : { where: e.where };
}

function error(e: WireEvent): { error?: { name: string; message: string } } {
  return e.error === undefined ? {} : { error: { name: e.error.name, message: e.error.message } };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
