import type { Backend, BackendContext, TaskSpec } from "../../src/backend.ts";
import { type FunctionAddress, indexModules } from "./addressing.ts";
import { positive, type RemoteBackendOptions, remoteTimings } from "./options.ts";
import { AgentConnection } from "./connection.ts";
import { agentFetch, AgentHttpError, discardBody, pause } from "./http.ts";
import type { SubmitResult, WireTask } from "../../protocol/v1.ts";
import { applyEvent } from "./apply_event.ts";
import { EventCursor, type FollowedSession } from "./event_cursor.ts";
import { batchBody, type SerializedTask, takeBatch } from "./task_batches.ts";
import { toWire } from "./wire.ts";
import { FileStaging } from "./staging.ts";

export type { RemoteBackendOptions } from "./options.ts";

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
  /** Heartbeat, session timeout and unreachableAfter, in ms. */
  readonly #ms: ReturnType<typeof remoteTimings>;
  readonly #maxBatch: number;
  readonly #maxBatchBytes: number;
  readonly #conn: AgentConnection;
  readonly #staging: FileStaging;
  #ctx: BackendContext | undefined;
  #index = new Map<unknown, FunctionAddress>();
  #sid: string | undefined;
  readonly #events = new EventCursor();
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
    this.#ms = remoteTimings(options);
    this.#maxBatch = Math.min(positive(options.maxBatch ?? 4096, "maxBatch"), 4096);
    this.#maxBatchBytes = positive(options.maxBatchBytes ?? 16 * 1024 * 1024, "maxBatchBytes");
    const given = options.url !== undefined && options.token !== undefined
      ? { url: options.url.replace(/\/+$/, ""), token: options.token }
      : undefined;
    this.#conn = new AgentConnection(given, options.endpointFile, this.#stop.signal);
    this.#staging = new FileStaging(this.#conn, () => this.#sid, this.#inflight, options);
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
      const why = `cannot open a session on the agent at ${url}: ${(error as Error).message}`;
      throw new Error(`RemoteBackend '${this.name}': ${why}`, { cause: error });
    }
    const tick = Math.max(10, Math.min(this.#ms.heartbeat, this.#ms.unreachableAfter / 4));
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
      let wire: WireTask | Error, staged = false;
      try {
        wire = toWire(spec, this.#index, ctx.traceContext?.(spec));
        staged = !(wire instanceof Error) && this.#staging.plan(spec, wire);
      } catch (error) {
        wire = error as Error; // whatever goes wrong with one task fails that task only
      }
      if (wire instanceof Error) {
        ctx.failed(spec.id, wire);
        continue;
      }
      this.#inflight.set(spec.id, spec.name);
      this.#unsent.add(spec.id);
      if (staged) this.#stageIn(spec.id, wire);
      else this.#outbox.push(wire);
    }
    if (this.#outbox.length > 0) queueMicrotask(() => this.#send());
  }

  /** Queues a task once its inputs are on the agent (unless it was cancelled meanwhile). */
  #stageIn(id: string, wire: WireTask): void {
    this.#staging.stageIn(id).then(() => {
      if (!this.#unsent.has(id)) return void this.#staging.finish(id, false);
      this.#outbox.push(wire);
      this.#send();
    }, (e) => this.#inflight.delete(id) && this.#unsent.delete(id) && this.#ctx!.failed(id, e));
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
    try {
      this.#stop.abort();
    } catch {
      // Bun can throw the abort's own reason out of abort() when a request it aborts is still
      // under way (seen under load); stopping goes on, as everywhere else.
    }
    this.#inflight.clear();
    this.#outbox = [];
    if (this.#sid !== undefined) {
      await agentFetch(this.#conn.endpoint, `/v1/sessions/${this.#sid}`, {
        method: "DELETE",
        signal: AbortSignal.timeout(5_000),
      }).then(discardBody, () => {});
    }
    // The loop ends only once closed; what it meets on the way out (a request the stop aborted,
    // inside its error handling) is of no one's concern any more.
    await this.#following?.catch(() => {});
    this.#conn.close();
  }

  // ------------------------------------------------------------ session

  async #openSession(): Promise<void> {
    const res = await agentFetch(this.#conn.endpoint, "/v1/sessions", {
      method: "POST",
      body: {
        client: this.#ctx!.engineUid.slice(0, 200),
        heartbeatTimeoutMs: this.#ms.sessionTimeout,
      },
      signal: this.#conn.signal,
    });
    const body = await res.json() as { session: string };
    this.#sid = body.session;
    this.#events.seq = 0;
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
      const batch = takeBatch(this.#outbox, this.#maxBatch, this.#maxBatchBytes);
      for (const t of batch) this.#unsent.delete(t.id);
      this.#posting++;
      this.#post(batch).finally(() => {
        this.#posting--;
        this.#send();
      });
    }
  }

  async #post(batch: SerializedTask[]): Promise<void> {
    let backoff = 50;
    while (!this.#closed) {
      const live = batch.filter((t) => this.#inflight.has(t.id));
      if (live.length === 0 || this.#sid === undefined && !(await this.#reopen())) return;
      try {
        const res = await agentFetch(this.#conn.endpoint, `/v1/sessions/${this.#sid}/tasks`, {
          method: "POST",
          json: batchBody(live),
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
        return discardBody(res);
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
        if (this.#options.transport === "poll") await this.#events.poll(this.#session());
        else await this.#events.stream(this.#session());
        backoff = 50;
        continue;
      } catch (error) {
        if (this.#closed) return;
        if (error instanceof AgentHttpError) {
          if (error.code === "cursor_expired" || error.code === "cursor_ahead") {
            await this.#events.resync(this.#session(), error.code === "cursor_ahead")
              .catch((e) => (this.#lastError = e));
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

  /** What the event cursor needs of the session it follows. */
  #session(): FollowedSession {
    return {
      conn: this.#conn,
      sid: this.#sid!,
      contact: () => this.#contact(),
      apply: (e) =>
        applyEvent(e, {
          ctx: this.#ctx!,
          inflight: this.#inflight,
          backend: this.name,
          conn: this.#conn,
          sid: this.#sid!,
          finishStaging: (id, done) => this.#staging.finish(id, done),
        }),
    };
  }

  // ------------------------------------------------------------ liveness

  #contact(): void {
    this.#lastContact = Date.now();
    if (this.#unreachable) this.#unreachable = false;
  }

  #tick(): void {
    const now = Date.now();
    const { heartbeat, unreachableAfter } = this.#ms;
    if (now - this.#lastContact > unreachableAfter && !this.#unreachable) {
      this.#unreachable = true;
      if (this.#inflight.size > 0) {
        for (const id of this.#inflight.keys()) if (!this.#unsent.has(id)) this.#orphans.add(id);
        this.#failAll(this.#unreachableError());
      }
    }
    // No answer for two heartbeats: the agent may have been replaced (a frozen one keeps its
    // sockets open, so nothing else would tell); its endpoint file says where it is now.
    if (now - this.#lastContact > 2 * heartbeat && this.#conn.follow()) this.#lastBeat = 0;
    if (this.#sid === undefined || now - this.#lastBeat < heartbeat) return;
    this.#lastBeat = now;
    agentFetch(this.#conn.endpoint, `/v1/sessions/${this.#sid}/heartbeat`, {
      method: "POST",
      // Not one pending heartbeat per tick against an agent that answers nothing.
      signal: AbortSignal.any([this.#conn.signal, AbortSignal.timeout(unreachableAfter)]),
    })
      .then((res) => {
        this.#contact();
        const orphans = [...this.#orphans];
        this.#orphans.clear();
        for (const id of orphans) this.#sendCancel(id);
        return discardBody(res);
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
    return this.#conn.unreachable(this.name, this.#ms.unreachableAfter, this.#lastError);
  }
}
