import { open } from "node:fs/promises";
import { type Context, Hono } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { streamSSE } from "hono/streaming";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { API_VERSION } from "../protocol/v1.ts";
import type { AgentCore } from "./agent_core.ts";
import { JournalWriteError } from "./journal.ts";
import { firstIssue, openBody, SESSION_ID, submitBody, TASK_ID } from "./schemas.ts";
import type { Session, TaskRecord } from "./session.ts";

/** Options of {@linkcode createApp}. */
export interface AppOptions {
  token: string;
  /** The largest body of a task batch; other bodies are limited to 64 KiB. */
  maxBodyBytes: number;
  /** Sessions open at once (expired ones, kept to answer 410, count too). */
  maxSessions: number;
  /** Aborted to end every open event stream (agent shutdown, or a test cutting streams). */
  streams: () => AbortSignal;
}

type Env = { Variables: { session: Session } };

const SMALL_BODY = 64 * 1024;
const EVENTS_PER_FLUSH = 1024;
const PING_MS = 15_000;
const MAX_WAIT_MS = 30_000;
const MAX_READ = 4 * 1024 * 1024;

/** A JSON error response: `{ error: { code, message } }`. */
function problem(
  c: Context,
  status: ContentfulStatusCode,
  code: string,
  message: string,
): Response {
  return c.json({ error: { code, message } }, status);
}

/**
 * The agent's HTTP API as a web-standard handler (hono): bearer auth on every
 * route, body limits, validated bodies and ids, JSON errors. Nothing a client
 * sends reaches the core unchecked.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createApp } from "./http_api.ts";
 * assert.ok(typeof createApp === "function");
 * ```
 */
export function createApp(core: AgentCore, options: AppOptions): Hono<Env> {
  const app = new Hono<Env>();
  const json = (message: string) => ({ error: { code: "unauthorized", message } });
  app.use(
    "*",
    bearerAuth({
      token: options.token,
      noAuthenticationHeader: {
        message: json("an 'Authorization: Bearer <token>' header is required"),
      },
      invalidAuthenticationHeader: {
        message: {
          error: {
            code: "bad_request",
            message: "the Authorization header must be 'Bearer <token>'",
          },
        },
      },
      invalidToken: { message: json("wrong token") },
    }),
  );
  const limit = (maxSize: number) =>
    bodyLimit({
      maxSize,
      onError: (c) => problem(c, 413, "too_large", `the body is larger than ${maxSize} bytes`),
    });

  app.onError((error, c) => {
    if (error instanceof HTTPException) return error.getResponse();
    if (error instanceof JournalWriteError) {
      const code = error.status === 507 ? "insufficient_storage" : "journal_unavailable";
      return problem(c, error.status, code, error.message);
    }
    return problem(c, 500, "internal", `the agent failed on this request: ${error.message}`);
  });
  app.notFound((c) =>
    problem(c, 404, "not_found", `no route ${c.req.method} ${new URL(c.req.url).pathname}`)
  );

  app.get("/v1/health", (c) =>
    c.json({
      status: "ok",
      version: API_VERSION,
      uptimeMs: Date.now() - core.started,
      launch: core.launch,
      allocation: core.allocation,
    }));
  app.get("/v1/metrics", (c) => c.json(core.metrics()));

  app.post("/v1/sessions", limit(SMALL_BODY), async (c) => {
    const body = await readJson(c, openBody);
    if (body instanceof Response) return body;
    if (core.sessions.size >= options.maxSessions) {
      return problem(
        c,
        503,
        "too_many_sessions",
        `the agent holds ${core.sessions.size} sessions, its limit: close one (DELETE /v1/sessions/{sid}) or retry later`,
      );
    }
    const session = core.openSession(body.client ?? "", body.heartbeatTimeoutMs ?? 60_000);
    return c.json(
      { session: session.id, heartbeatTimeoutMs: session.heartbeatTimeoutMs, seq: 0 },
      201,
    );
  });

  // Every session route: a well-formed, known, live session; any request counts as a heartbeat.
  app.use("/v1/sessions/:sid/*", async (c, next) => {
    const found = findSession(core, c);
    if (found instanceof Response) return found;
    found.touch();
    c.set("session", found);
    await next();
  });
  app.use("/v1/sessions/:sid", async (c, next) => {
    const found = findSession(core, c);
    if (found instanceof Response) return found;
    c.set("session", found);
    await next();
  });

  app.get("/v1/sessions/:sid", (c) => {
    const s = c.get("session");
    return c.json({
      session: s.id,
      client: s.client,
      state: s.state,
      seq: s.log.last,
      tasks: s.tasks.size,
    });
  });
  app.delete("/v1/sessions/:sid", (c) => {
    core.closeSession(c.get("session"));
    return c.json({ closed: true });
  });
  app.post("/v1/sessions/:sid/heartbeat", (c) => {
    const s = c.get("session");
    return c.json({ deadline: s.deadline, seq: s.log.last });
  });

  app.post("/v1/sessions/:sid/tasks", limit(options.maxBodyBytes), async (c) => {
    const body = await readJson(c, submitBody);
    if (body instanceof Response) return body;
    return c.json({ results: core.submit(c.get("session"), body.tasks) });
  });

  app.get("/v1/sessions/:sid/tasks", (c) => {
    const s = c.get("session");
    const offset = intParam(c.req.query("offset"), 0);
    const max = intParam(c.req.query("limit"), 10_000);
    if (offset === undefined || max === undefined) {
      return problem(c, 400, "bad_request", "'offset' and 'limit' must be non-negative integers");
    }
    const items: string[] = [];
    let i = 0;
    for (const rec of s.tasks.values()) {
      if (i++ < offset) continue;
      if (items.length >= Math.min(max, 10_000)) break;
      items.push(rec.lastEvent ?? JSON.stringify({ id: rec.id, state: rec.state }));
    }
    return c.body(
      `{"seq":${s.log.last},"total":${s.tasks.size},"tasks":[${items.join(",")}]}`,
      200,
      {
        "content-type": "application/json",
      },
    );
  });

  app.get("/v1/sessions/:sid/tasks/:id", (c) => {
    const rec = findTask(c);
    if (rec instanceof Response) return rec;
    const last = rec.lastEvent ?? "null";
    return c.body(
      `{"id":${
        JSON.stringify(rec.id)
      },"kind":"${rec.task.kind}","state":"${rec.state}","last":${last}}`,
      200,
      {
        "content-type": "application/json",
      },
    );
  });
  app.post("/v1/sessions/:sid/tasks/:id/cancel", (c) => {
    const rec = findTask(c);
    if (rec instanceof Response) return rec;
    core.cancel(rec);
    return c.json({ id: rec.id, state: rec.state });
  });
  app.get("/v1/sessions/:sid/tasks/:id/:which{stdout|stderr|result}", async (c) => {
    const rec = findTask(c);
    if (rec instanceof Response) return rec;
    const which = c.req.param("which") as "stdout" | "stderr" | "result";
    const offset = intParam(c.req.query("offset"), 0);
    const max = intParam(c.req.query("limit"), 1024 * 1024);
    if (offset === undefined || max === undefined) {
      return problem(c, 400, "bad_request", "'offset' and 'limit' must be non-negative integers");
    }
    // No file: nothing printed yet (outputs are written when the command ends), or no large result.
    const chunk = await readRange(core.outputPath(rec, which), offset, Math.min(max, MAX_READ)) ??
      (which === "result" ? undefined : { data: new Uint8Array(0), size: 0 });
    if (chunk === undefined) {
      return problem(c, 404, "not_found", `task '${rec.id}' has no large result`);
    }
    return c.body(chunk.data, 200, {
      "content-type": "application/octet-stream",
      "x-total-bytes": String(chunk.size),
      "x-offset": String(offset),
    });
  });

  app.get("/v1/sessions/:sid/events", (c) => {
    const s = c.get("session");
    const fromHeader = c.req.header("last-event-id");
    const after = intParam(fromHeader ?? c.req.query("after"), 0);
    if (after === undefined) {
      return problem(
        c,
        400,
        "bad_request",
        "the cursor (Last-Event-ID or 'after') must be a non-negative integer",
      );
    }
    if (s.log.since(after, 0) === undefined) return goneCursor(c, after);
    if (after > s.log.last) {
      // The client saw events this log does not hold (a restart lost lines it had sent): going
      // on from there would skip what comes next under those numbers.
      return problem(
        c,
        409,
        "cursor_ahead",
        `the cursor ${after} is ahead of this session's last event ${s.log.last}; re-sync from GET …/tasks`,
      );
    }
    const wait = c.req.query("wait");
    if (wait !== undefined) {
      const ms = intParam(wait, 0);
      if (ms === undefined) {
        return problem(c, 400, "bad_request", "'wait' must be a non-negative integer of ms");
      }
      return longPoll(c, s, after, Math.min(ms, MAX_WAIT_MS), options.streams());
    }
    const stop = options.streams();
    return streamSSE(c, async (stream) => {
      const local = new AbortController();
      stream.onAbort(() => local.abort());
      const signal = AbortSignal.any([local.signal, stop]);
      let cursor = after;
      while (!signal.aborted) {
        const batch = s.log.since(cursor, EVENTS_PER_FLUSH);
        if (batch === undefined) {
          await stream.writeSSE({ event: "gone", data: JSON.stringify({ after: cursor }) });
          return;
        }
        if (batch.length > 0) {
          cursor = batch[batch.length - 1]!.seq;
          await stream.writeSSE({
            id: String(cursor),
            event: "events",
            data: `[${batch.map((e) => e.json).join(",")}]`,
          });
          continue;
        }
        if (s.log.closed) {
          await stream.writeSSE({ event: "end", data: JSON.stringify({ state: s.state }) });
          return;
        }
        const before = s.log.last;
        await s.log.wait(PING_MS, signal);
        if (s.log.last === before && !s.log.closed && !signal.aborted) {
          await stream.write(": ping\n\n");
        }
      }
    });
  });

  return app;
}

function findSession(core: AgentCore, c: Context): Session | Response {
  const sid = c.req.param("sid") ?? "";
  const session = SESSION_ID.test(sid) ? core.sessions.get(sid) : undefined;
  if (session === undefined) {
    return problem(c, 404, "unknown_session", `no session '${sid.slice(0, 64)}'`);
  }
  if (session.state === "expired") {
    return problem(
      c,
      410,
      "session_expired",
      `session '${sid}' expired: no heartbeat for ${session.heartbeatTimeoutMs} ms`,
    );
  }
  return session;
}

function findTask(c: Context<Env>): TaskRecord | Response {
  const id = c.req.param("id") ?? "";
  if (!TASK_ID.test(id)) {
    return problem(c, 400, "bad_request", `malformed task id ${JSON.stringify(id.slice(0, 64))}`);
  }
  const rec = c.get("session").tasks.get(id);
  if (rec === undefined) return problem(c, 404, "unknown_task", `no task '${id}' in this session`);
  return rec;
}

function goneCursor(c: Context, after: number): Response {
  return problem(
    c,
    410,
    "cursor_expired",
    `events after ${after} are no longer kept; re-sync from GET …/tasks`,
  );
}

async function longPoll(
  c: Context,
  s: Session,
  after: number,
  ms: number,
  stop: AbortSignal,
): Promise<Response> {
  if (s.log.last <= after && !s.log.closed) {
    await s.log.wait(ms, AbortSignal.any([stop, c.req.raw.signal]));
  }
  const batch = s.log.since(after, EVENTS_PER_FLUSH);
  if (batch === undefined) return goneCursor(c, after);
  const last = batch.length > 0 ? batch[batch.length - 1]!.seq : after;
  return c.body(
    `{"last":${last},"closed":${s.log.closed},"events":[${batch.map((e) => e.json).join(",")}]}`,
    200,
    {
      "content-type": "application/json",
    },
  );
}

/** Reads and checks a JSON body; a Response (400) when it is malformed or of the wrong shape. */
async function readJson<T>(
  c: Context,
  schema: {
    safeParse(
      v: unknown,
    ): { success: true; data: T } | { success: false; error: import("zod").ZodError };
  },
): Promise<T | Response> {
  let value: unknown;
  try {
    const text = await c.req.text();
    value = text === "" ? {} : JSON.parse(text);
  } catch (error) {
    if (error instanceof HTTPException) throw error;
    return problem(c, 400, "bad_json", `the body is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) return problem(c, 400, "bad_request", firstIssue(parsed.error));
  return parsed.data;
}

function intParam(value: string | undefined, fallback: number): number | undefined {
  if (value === undefined || value === "") return fallback;
  if (!/^\d{1,15}$/.test(value)) return undefined;
  return Number(value);
}

async function readRange(
  path: string,
  offset: number,
  max: number,
): Promise<{ data: Uint8Array<ArrayBuffer>; size: number } | undefined> {
  let file;
  try {
    file = await open(path, "r");
  } catch {
    return undefined;
  }
  try {
    const size = (await file.stat()).size;
    const length = Math.max(0, Math.min(max, size - offset));
    const data = new Uint8Array(length);
    if (length > 0) await file.read(data, 0, length, offset);
    return { data, size };
  } finally {
    await file.close();
  }
}
