/**
 * `/v1/sessions`: list the sessions, open one, read it, close it, keep it alive; its tasks, its events and its
 * files are mounted under it ({@linkcode taskRoutes}, {@linkcode eventRoutes},
 * {@linkcode blobRoutes}, {@linkcode fileRoutes}). Every route below
 * `/{sid}` finds a well-formed, known, live session first.
 *
 * @module
 */
import { type Context, Hono } from "hono";
import { OBSERVER_HEADER } from "../../protocol/v1.ts";
import type { AgentCore } from "../agent_core.ts";
import { openBody, SESSION_ID } from "../schemas.ts";
import type { Session } from "../session.ts";
import { type AgentEnv, problem, readJson } from "./_problem.ts";
import { eventRoutes } from "./events.ts";
import { blobRoutes, type FileRouteOptions, fileRoutes } from "./files.ts";
import { taskRoutes } from "./tasks.ts";

/** What the session routes need besides the core. */
export interface SessionRouteOptions {
  /** The largest body of a task batch; other bodies are limited to 64 KiB. */
  maxBodyBytes: number;
  /** Sessions open at once (expired ones, kept to answer 410, count too). */
  maxSessions: number;
  /** Aborted to end every open event stream. */
  streams: () => AbortSignal;
  /** Each open event stream until it has ended (see `AppOptions.openStreams`). */
  openStreams?: Set<Promise<void>>;
  /** The body limit of a route, answering 413 above it. */
  limit: (maxSize: number) => import("hono").MiddlewareHandler;
  /** The file routes' directory and blob store. */
  files: Omit<FileRouteOptions, "limit">;
}

const SMALL_BODY = 64 * 1024;

/** The session routes, mounted at `/v1/sessions`. */
export function sessionRoutes(core: AgentCore, options: SessionRouteOptions): Hono<AgentEnv> {
  const app = new Hono<AgentEnv>();
  app.post("/", options.limit(SMALL_BODY), async (c) => {
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

  // Every session, for observers (`asyncflow dashboard --agent`): at most `maxSessions` lines.
  app.get("/", (c) =>
    c.json({
      sessions: [...core.sessions.values()].map((s) => ({
        session: s.id,
        client: s.client,
        state: s.state,
        seq: s.log.last,
        tasks: s.tasks.size,
      })),
    }));

  // Below a session: any request counts as a heartbeat, but an observer's (a dashboard reading
  // another client's session must not keep it alive when that client has gone).
  app.use("/:sid/*", async (c, next) => {
    const found = findSession(core, c);
    if (found instanceof Response) return found;
    if (c.req.header(OBSERVER_HEADER) === undefined) found.touch();
    c.set("session", found);
    await next();
  });
  app.use("/:sid", async (c, next) => {
    const found = findSession(core, c);
    if (found instanceof Response) return found;
    c.set("session", found);
    await next();
  });

  app.get("/:sid", (c) => {
    const s = c.get("session");
    return c.json({
      session: s.id,
      client: s.client,
      state: s.state,
      seq: s.log.last,
      tasks: s.tasks.size,
    });
  });
  app.delete("/:sid", (c) => {
    core.closeSession(c.get("session"));
    return c.json({ closed: true });
  });
  app.post("/:sid/heartbeat", (c) => {
    const s = c.get("session");
    return c.json({ deadline: s.deadline, seq: s.log.last });
  });
  app.route("/:sid/tasks", taskRoutes(core, options));
  app.route("/:sid/events", eventRoutes(options));
  app.route("/:sid/blobs", blobRoutes({ ...options.files, limit: options.limit }));
  app.route("/:sid/files", fileRoutes({ ...options.files, limit: options.limit }));
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
