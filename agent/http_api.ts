import { Hono, type MiddlewareHandler } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import type { AgentCore } from "./agent_core.ts";
import { cors } from "./cors.ts";
import { pageTokenAuth, pageTokenRoutes, PageTokens } from "./page_tokens.ts";
import { JournalWriteError } from "./journal.ts";
import { BlobStore } from "./blob_store.ts";
import type { AgentLog } from "./agent_log.ts";
import { type AgentEnv, problem } from "./routes/_problem.ts";
import { sessionRoutes } from "./routes/sessions.ts";
import { statusRoutes } from "./routes/status.ts";

/** Options of {@linkcode createApp}. */
export interface AppOptions {
  token: string;
  /** The largest body of a task batch; other bodies are limited to 64 KiB. */
  maxBodyBytes: number;
  /** Sessions open at once (expired ones, kept to answer 410, count too). */
  maxSessions: number;
  /** Aborted to end every open event stream (agent shutdown, or a test cutting streams). */
  streams: () => AbortSignal;
  /**
   * Each open event stream holds a promise here until it has sent its last event and ended:
   * an agent whose job ends waits for them before it closes.
   */
  openStreams?: Set<Promise<void>>;
  /**
   * Middleware run on every request before authentication, in order (one that answers a
   * preflight, say): what comes before the token check must not reach the core.
   */
  before?: readonly MiddlewareHandler[];
  /** Origins whose pages may call the agent (CORS, `cors.ts`), answered before auth. Default: none. */
  corsOrigins?: readonly string[];
  /** The agent's directory: its blob store (`blobs/`) and the sessions' staging directories. */
  dir: string;
  /** The largest file a client may upload (`PUT …/blobs/{sha256}`). Default 1 GiB. */
  maxFileBytes?: number;
  /** The most the uploaded files may take in all (`blob_quota.ts`). Default 32 GiB. */
  maxStoreBytes?: number;
  /** Where the file routes say what they stored and refused. Default: nowhere. */
  log?: AgentLog;
}

/** The default of {@linkcode AppOptions.maxFileBytes}: 1 GiB. */
export const MAX_FILE_BYTES = 1024 ** 3;

/** The default of {@linkcode AppOptions.maxStoreBytes}: 32 GiB. */
export const MAX_STORE_BYTES = 32 * 1024 ** 3;

/**
 * The agent's HTTP API as a web-standard handler (hono): on every request the middleware chain
 * (`before`, then bearer auth), then one router per resource: `/v1` status (health, metrics),
 * `/v1/sessions` with its tasks, events and files (`routes/`). Bodies are limited, bodies and ids are
 * checked, errors are JSON. Nothing a client sends reaches the core unchecked.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createApp } from "./http_api.ts";
 * assert.ok(typeof createApp === "function");
 * ```
 */
export function createApp(core: AgentCore, options: AppOptions): Hono<AgentEnv> {
  const app = new Hono<AgentEnv>();
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

  // A browser's preflight carries no token: CORS comes before auth. Then the agent's token, or a
  // page token confined to its one session (page_tokens.ts).
  const pageTokens = new PageTokens();
  const chain = [
    ...(options.corsOrigins?.length ? [cors(options.corsOrigins)] : []),
    ...(options.before ?? []),
    pageTokenAuth(pageTokens, authenticate(options.token)),
  ];
  for (const middleware of chain) app.use("*", middleware);

  const limit = (maxSize: number) =>
    bodyLimit({
      maxSize,
      onError: (c) => problem(c, 413, "too_large", `the body is larger than ${maxSize} bytes`),
    });
  app.route("/v1/page-tokens", pageTokenRoutes(pageTokens));
  const store = new BlobStore(
    options.dir,
    options.maxFileBytes ?? MAX_FILE_BYTES,
    options.maxStoreBytes ?? MAX_STORE_BYTES,
  );
  app.route("/v1", statusRoutes(core, () => store.metrics));
  app.route(
    "/v1/sessions",
    sessionRoutes(core, {
      ...options,
      limit,
      files: { dir: options.dir, store, ...(options.log ? { log: options.log } : {}) },
    }),
  );
  return app;
}

/** Bearer auth with the agent's JSON errors: none is 401, a malformed header 400, a wrong one 401. */
function authenticate(token: string): MiddlewareHandler {
  const json = (message: string) => ({ error: { code: "unauthorized", message } });
  return bearerAuth({
    token,
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
  });
}
