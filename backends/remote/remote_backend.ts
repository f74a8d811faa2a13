import type { Backend, BackendContext, TaskSpec } from "../../src/backend.ts";
import { type FunctionAddress, indexModules } from "./addressing.ts";
import { AgentConnection } from "./connection.ts";
import { agentFetch, AgentHttpError } from "./http.ts";
import type { SubmitResult, WireEvent, WireTask } from "../../protocol/v1.ts";
import { readSse } from "./sse.ts";
import { fromWireError, toWire } from "./wire.ts";

/**
 * Options of {@linkcode RemoteBackend}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { RemoteBackendOptions } from "@asyncflow/asyncflow/remote";
 * const o: RemoteBackendOptions = { url: "http://127.0.0.1:8080", token: "…", unreachableMs: 10_000 };
 * assert.equal(o.unreachableMs, 10_000);
 * ```
 */
export interface RemoteBackendOptions {
  /** The agent's base URL. Required unless `endpointFile` is given. */
  url?: string;
  /** The agent's bearer token. Required unless `endpointFile` is given. */
  token?: string;
  /**
   * A file holding `{ url, token }` (what the agent writes); re-read when the agent cannot be
   * reached. When it also holds `certificate` and `fingerprint` (an agent started with
   * `--tls-self-signed`), the connection goes through only to a server presenting exactly that
   * certificate.
   */
  endpointFile?: string;
  /** The name tasks route to. Default `"remote"`. */
  name?: string;
  /** Task modules, by the names the agent was started with: `{ tasks: new URL("./tasks.ts", import.meta.url) }`. */
  modules?: Record<string, string | URL>;
  /** How many tasks the agent holds at once (the engine queues the rest). Default: unlimited. */
  capacity?: number;
  /** How often to send a heartbeat, in ms. Default 5 000. */
  heartbeatMs?: number;
  /** After how long without a heartbeat the agent cancels the session's tasks, in ms. Default 60 000. */
  sessionTimeoutMs?: number;
  /** After how long without any answer from the agent the tasks in flight fail, in ms. Default 30 000. */
  unreachableMs?: number;
  /** Most tasks per request. Default 4 096 (the agent's limit). */
  maxBatch?: number;
  /** `sse` (default) or `poll` (long polling, for proxies that break streaming). */
  transport?: "sse" | "poll";
}

const PARALLEL_POSTS = 4;

/**
 * Runs tasks on a pilot agent (`asyncflow agent`) over HTTP. Ready tasks go
 * in batches; state changes come back on an event stream that resumes from
 * its cursor after a dropped connection, so no change is lost or applied
 * twice. Functions travel as `{ module, export }` (the modules given in
 * `modules`, also loaded by the agent) with JSON arguments and results.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RemoteBackend } from "@asyncflow/asyncflow/remote";
 * const backend = new RemoteBackend({ url: "http://127.0.0.1:9", token: "t" });
 * assert.equal(backend.name, "remote");
 * ```
 */
export class RemoteBackend implements Backend {
  /** The name tasks route to. */
  readonly name: string;
  /** How many tasks the agent holds at once. */
  readonly capacity?: number;
  readonly #options: RemoteBackendOptions;
  readonly #heartbeatMs: number;
  readonly #unreachableMs: number;
  readonly #maxBatch: number;
  readonly #conn: AgentConnection;
  #ctx: BackendContext | undefined;
  #index = new Map<unknown, FunctionAddress>();
  #sid: string | undefined;
  #cursor = 0;
  readonly #inflight = new Map<string, string>(); // id → command name, for messages
  readonly #unsent = new Set<string>();
  #outbox: WireTask[] = [];
  #posting = 0;
  #orphans = new Set<string>();
  #lastContact = Date.now();
  #lastBeat = 0;
  #lastError: unknown;
  #unreachable = false;
  #closed = false;
  readonly #stop = new AbortController();
  #timer: ReturnType<typeof setInterval> | undefined;
  #following: Promise<void> | undefined;

  /**
   * Makes a backend for one agent; nothing is sent until the engine attaches it.
   *
   * @param options Where the agent is and how to talk to it.
   * @throws {TypeError} When neither `url` + `token` nor `endpointFile` is given, or a number is out of range.
   */
  constructor(options: RemoteBackendOptions) {
    if (
      (options.url === undefined || options.token === undefined) &&
      options.endpointFile === undefined
    ) {
      throw new TypeError("RemoteBackend: give 'url' and 'token', or 'endpointFile'");
    }
    this.#options = options;
    this.name = options.name ?? "remote";
    if (options.capacity !== undefined) this.capacity = options.capacity;
    this.#heartbeatMs = positive(options.heartbeatMs ?? 5_000, "heartbeatMs");
    this.#unreachableMs = positive(options.unreachableMs ?? 30_000, "unreachableMs");
    this.#maxBatch = Math.min(positive(options.maxBatch ?? 4096, "maxBatch"), 4096);
    const given = options.url !== undefined && options.token !== undefined
      ? { url: options.url.replace(/\/+$/, ""), token: options.token }
      : undefined;
    this.#conn = new AgentConnection(given, options.endpointFile, this.#stop.signal);
  }

  /**
   * A backend for the agent whose endpoint file (`{ url, token }`, written by
   * `asyncflow agent --endpoint-file` or in its directory) is at `path`.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { RemoteBackend } from "@asyncflow/asyncflow/remote";
   * const b = RemoteBackend.fromEndpointFile("/scratch/agent/endpoint.json", { name: "hpc" });
   * assert.equal(b.name, "hpc");
   * ```
   */
  static fromEndpointFile(
    path: string,
    options: Omit<RemoteBackendOptions, "endpointFile"> = {},
  ): RemoteBackend {
    return new RemoteBackend({ ...options, endpointFile: path });
  }

  /** Imports the task modules, opens a session and starts following its events. */
  async attach(ctx: BackendContext): Promise<void> {
    this.#ctx = ctx;
    const { url } = this.#conn.endpoint; // reads the endpoint file, if that is where it is
    this.#index = await indexModules(this.#options.modules ?? {});
    try {
      await this.#openSession();
    } catch (error) {
      throw new Error(
        `RemoteBackend '${this.name}': cannot open a session on the agent at ${url}: ${
          (error as Error).message
        }`,
        { cause: error },
      );
    }
    const tick = Math.max(10, Math.min(this.#heartbeatMs, this.#unreachableMs / 4));
    this.#timer = setInterval(() => this.#tick(), tick);
    this.#following = this.#follow();
  }

  /** Queues tasks for the next batch; a task that cannot be sent fails at once. */
  submit(tasks: readonly TaskSpec[]): void {
    const ctx = this.#ctx!;
    for (const spec of tasks) {
      if (this.#unreachable) {
        ctx.failed(spec.id, this.#unreachableError());
        continue;
      }
      let wire: WireTask | Error;
      try {
        wire = toWire(spec, this.#index);
      } catch (error) {
        wire = error as Error; // whatever goes wrong with one task fails that task only
      }
      if (wire instanceof Error) {
        ctx.failed(spec.id, wire);
        continue;
      }
      this.#inflight.set(spec.id, spec.name);
      this.#unsent.add(spec.id);
      this.#outbox.push(wire);
    }
    if (this.#outbox.length > 0) queueMicrotask(() => this.#send());
  }

  /** Cancels a task on the agent (which kills its processes). */
  cancel(id: string): void {
    if (!this.#inflight.delete(id)) return;
    if (this.#unsent.delete(id)) return; // never left this process
    this.#sendCancel(id);
  }

  /** Ends the session (the agent cancels what still runs) and stops following it. */
  async shutdown(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#stop.abort();
    this.#inflight.clear();
    this.#outbox = [];
    if (this.#sid !== undefined) {
      await agentFetch(this.#conn.endpoint, `/v1/sessions/${this.#sid}`, {
        method: "DELETE",
        signal: AbortSignal.timeout(5_000),
      }).then((r) => r.body?.cancel(), () => {});
    }
    await this.#following;
    this.#conn.close();
  }

  // ------------------------------------------------------------ session

  async #openSession(): Promise<void> {
    const res = await agentFetch(this.#conn.endpoint, "/v1/sessions", {
      method: "POST",
      body: {
        client: this.#ctx!.engineUid.slice(0, 200),
        heartbeatTimeoutMs: this.#options.sessionTimeoutMs ?? 60_000,
      },
      signal: this.#conn.signal,
    });
    const body = await res.json() as { session: string };
    this.#sid = body.session;
    this.#cursor = 0;
    this.#contact();
  }

  /** The agent no longer knows the session: what was in flight there is gone. */
  async #sessionLost(why: AgentHttpError): Promise<void> {
    const sid = this.#sid;
    if (sid === undefined) return;
    this.#sid = undefined;
    this.#failAll(
      new Error(`RemoteBackend '${this.name}': the agent lost session ${sid} (${why.message})`, {
        cause: why,
      }),
    );
    if (!this.#closed) await this.#openSession().catch((e) => (this.#lastError = e));
  }

  #failAll(error: Error): void {
    const ids = [...this.#inflight.keys()];
    this.#inflight.clear();
    this.#unsent.clear();
    this.#outbox = [];
    for (const id of ids) this.#ctx!.failed(id, error);
  }

  // ------------------------------------------------------------ sending

  #send(): void {
    while (this.#outbox.length > 0 && this.#posting < PARALLEL_POSTS && !this.#closed) {
      const batch = this.#outbox.length <= this.#maxBatch
        ? this.#outbox
        : this.#outbox.slice(0, this.#maxBatch);
      this.#outbox = batch === this.#outbox ? [] : this.#outbox.slice(this.#maxBatch);
      for (const t of batch) this.#unsent.delete(t.id);
      this.#posting++;
      this.#post(batch).finally(() => {
        this.#posting--;
        this.#send();
      });
    }
  }

  async #post(batch: WireTask[]): Promise<void> {
    let backoff = 50;
    while (!this.#closed) {
      const live = batch.filter((t) => this.#inflight.has(t.id));
      if (live.length === 0 || this.#sid === undefined && !(await this.#reopen())) return;
      try {
        const res = await agentFetch(this.#conn.endpoint, `/v1/sessions/${this.#sid}/tasks`, {
          method: "POST",
          body: { tasks: live },
          signal: this.#conn.signal,
        });
        const { results } = await res.json() as { results: SubmitResult[] };
        this.#contact();
        for (const r of results) {
          if (r.status === "rejected" && this.#inflight.delete(r.id)) {
            this.#ctx!.failed(
              r.id,
              new Error(`RemoteBackend '${this.name}': the agent rejected the task: ${r.error}`),
            );
          }
        }
        return;
      } catch (error) {
        if (this.#closed) return;
        if (error instanceof AgentHttpError) {
          if (error.status === 404 || error.code === "session_expired") {
            await this.#sessionLost(error);
            return;
          }
          if (error.status < 500) { // the request itself is wrong: retrying cannot help
            for (const t of live) if (this.#inflight.delete(t.id)) this.#ctx!.failed(t.id, error);
            return;
          }
        }
        this.#lastError = error;
        if (this.#unreachable) {
          for (const t of live) {
            if (this.#inflight.delete(t.id)) this.#ctx!.failed(t.id, this.#unreachableError());
          }
          return;
        }
        await pause(backoff, this.#stop.signal);
        backoff = Math.min(backoff * 2, 1_000);
      }
    }
  }

  async #reopen(): Promise<boolean> {
    try {
      await this.#openSession();
      return true;
    } catch (error) {
      this.#lastError = error;
      return false;
    }
  }

  #sendCancel(id: string): void {
    const sid = this.#sid;
    if (sid === undefined) return;
    agentFetch(this.#conn.endpoint, `/v1/sessions/${sid}/tasks/${encodeURIComponent(id)}/cancel`, {
      method: "POST",
      signal: this.#conn.signal,
    }).then(
      (res) => {
        this.#contact();
        return res.body?.cancel();
      },
      (error) => {
        // Not delivered: try again when the agent answers (an unknown task is fine).
        if (!(error instanceof AgentHttpError) && !this.#closed) this.#orphans.add(id);
      },
    );
  }

  // ------------------------------------------------------------ events

  async #follow(): Promise<void> {
    let backoff = 50;
    while (!this.#closed) {
      try {
        if (this.#sid === undefined && !(await this.#reopen())) throw this.#lastError;
        if (this.#options.transport === "poll") await this.#poll();
        else await this.#stream();
        backoff = 50;
        continue;
      } catch (error) {
        if (this.#closed) return;
        if (error instanceof AgentHttpError) {
          if (error.code === "cursor_expired" || error.code === "cursor_ahead") {
            await this.#resync(error.code === "cursor_ahead").catch((e) => (this.#lastError = e));
            continue;
          }
          if (error.status === 404 || error.code === "session_expired") {
            await this.#sessionLost(error);
            continue;
          }
        }
        this.#lastError = error;
        this.#conn.follow(); // a restarted agent may listen elsewhere
      }
      await pause(backoff, this.#stop.signal);
      backoff = Math.min(backoff * 2, 1_000);
    }
  }

  async #stream(): Promise<void> {
    const res = await agentFetch(this.#conn.endpoint, `/v1/sessions/${this.#sid}/events`, {
      headers: { accept: "text/event-stream", "last-event-id": String(this.#cursor) },
      signal: this.#conn.signal,
    });
    this.#contact();
    for await (const message of readSse(res.body!, () => this.#contact())) {
      if (message.event === "events") await this.#applyAll(JSON.parse(message.data) as WireEvent[]);
      else if (message.event === "gone") return await this.#resync();
      else if (message.event === "end") return; // the next request says why
    }
  }

  async #poll(): Promise<void> {
    const res = await agentFetch(
      this.#conn.endpoint,
      `/v1/sessions/${this.#sid}/events?after=${this.#cursor}&wait=25000`,
      {
        signal: this.#conn.signal,
      },
    );
    const body = await res.json() as { events: WireEvent[] };
    this.#contact();
    await this.#applyAll(body.events);
  }

  async #applyAll(events: WireEvent[]): Promise<void> {
    for (const e of events) {
      if (e.seq <= this.#cursor) continue; // seen before a reconnect
      this.#cursor = e.seq;
      await this.#apply(e);
    }
  }

  /**
   * Events were dropped from the agent's memory, or (`ahead`) the agent lost some it had sent
   * before a restart: take each task's last state from the listing, and go on from the
   * listing's cursor.
   */
  async #resync(ahead = false): Promise<void> {
    let offset = 0;
    let seq = this.#cursor;
    while (true) {
      const res = await agentFetch(
        this.#conn.endpoint,
        `/v1/sessions/${this.#sid}/tasks?offset=${offset}`,
        {
          signal: this.#conn.signal,
        },
      );
      const page = await res.json() as { seq: number; total: number; tasks: WireEvent[] };
      if (offset === 0) seq = page.seq;
      for (const e of page.tasks) if (e.seq === undefined || e.seq <= seq) await this.#apply(e);
      offset += page.tasks.length;
      if (page.tasks.length === 0 || offset >= page.total) break;
    }
    this.#cursor = ahead ? seq : Math.max(this.#cursor, seq);
  }

  async #apply(e: WireEvent): Promise<void> {
    const ctx = this.#ctx!;
    if (!this.#inflight.has(e.id)) return;
    switch (e.state) {
      case "running":
        ctx.running(e.id, e.where);
        return;
      case "done": {
        this.#inflight.delete(e.id);
        // Inline when `value` is there; the sizes alone mean "fetch it" (a final event also
        // carries the output's size in the agent's record of the run).
        if (e.value !== undefined || (e.resultBytes === undefined && e.stdoutBytes === undefined)) {
          ctx.done(e.id, e.value);
          return;
        }
        try {
          const text = await this.#fetchAll(
            e.id,
            e.resultBytes !== undefined ? "result" : "stdout",
          );
          ctx.done(e.id, e.resultBytes !== undefined ? JSON.parse(text) : text);
        } catch (error) {
          ctx.failed(
            e.id,
            new Error(`RemoteBackend '${this.name}': cannot fetch the result of ${e.id}`, {
              cause: error,
            }),
          );
        }
        return;
      }
      case "failed":
      case "lost":
        this.#inflight.delete(e.id);
        ctx.failed(
          e.id,
          fromWireError(e.error ?? { name: "Error", message: `task ${e.id} ${e.state}` }),
        );
        return;
      case "cancelled":
        this.#inflight.delete(e.id);
        ctx.cancelled(e.id, e.error?.message ?? "cancelled by the agent");
        return;
    }
  }

  async #fetchAll(id: string, which: "result" | "stdout"): Promise<string> {
    const chunks: Uint8Array[] = [];
    let offset = 0;
    while (true) {
      const path = `/v1/sessions/${this.#sid}/tasks/${
        encodeURIComponent(id)
      }/${which}?offset=${offset}`;
      const res = await agentFetch(this.#conn.endpoint, path, { signal: this.#conn.signal });
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

  // ------------------------------------------------------------ liveness

  #contact(): void {
    this.#lastContact = Date.now();
    if (this.#unreachable) this.#unreachable = false;
  }

  #tick(): void {
    const now = Date.now();
    if (now - this.#lastContact > this.#unreachableMs && !this.#unreachable) {
      this.#unreachable = true;
      if (this.#inflight.size > 0) {
        for (const id of this.#inflight.keys()) if (!this.#unsent.has(id)) this.#orphans.add(id);
        this.#failAll(this.#unreachableError());
      }
    }
    // No answer for two heartbeats: the agent may have been replaced (a frozen one keeps its
    // sockets open, so nothing else would tell); its endpoint file says where it is now.
    if (now - this.#lastContact > 2 * this.#heartbeatMs && this.#conn.follow()) this.#lastBeat = 0;
    if (this.#sid === undefined || now - this.#lastBeat < this.#heartbeatMs) return;
    this.#lastBeat = now;
    agentFetch(this.#conn.endpoint, `/v1/sessions/${this.#sid}/heartbeat`, {
      method: "POST",
      // Not one pending heartbeat per tick against an agent that answers nothing.
      signal: AbortSignal.any([this.#conn.signal, AbortSignal.timeout(this.#unreachableMs)]),
    })
      .then((res) => {
        this.#contact();
        const orphans = [...this.#orphans];
        this.#orphans.clear();
        for (const id of orphans) this.#sendCancel(id);
        return res.body?.cancel();
      }, (error) => {
        if (this.#closed) return;
        this.#lastError = error;
        if (
          error instanceof AgentHttpError &&
          (error.status === 404 || error.code === "session_expired")
        ) {
          this.#sessionLost(error);
        }
      });
  }

  #unreachableError(): Error {
    const last = this.#lastError === undefined
      ? "none; its requests are still waiting for an answer"
      : this.#lastError instanceof Error
      ? this.#lastError.message
      : String(this.#lastError);
    return new Error(
      `RemoteBackend '${this.name}': the agent at ${this.#conn.endpoint.url} has not answered for more than ` +
        `${this.#unreachableMs} ms (last error: ${last})`,
    );
  }
}

function positive(value: number, name: string): number {
  if (!(typeof value === "number" && value > 0 && Number.isFinite(value))) {
    throw new TypeError(`RemoteBackend: '${name}' must be a positive number, got ${value}`);
  }
  return value;
}

/** Waits `ms`, or less when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
