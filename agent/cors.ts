/**
 * CORS for the agent, so that a page served from another origin (a browser
 * running asyncflow) can talk to it. Only the origins the agent was started
 * with (`--cors-origin`) get CORS headers; a preflight is answered before
 * authentication, since a browser sends it without the `Authorization`
 * header. CORS only lets a page read the answers: every request still needs
 * the token.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";

/** The request headers the client sends. */
const ALLOWED_HEADERS = "authorization, content-type, accept, last-event-id";
/** The response headers the client reads (beside the CORS-safelisted ones). */
const EXPOSED_HEADERS = "x-total-bytes";
/** How long a browser may keep a preflight's answer (seconds). */
const PREFLIGHT_MAX_AGE = 600;

/**
 * Checks `--cors-origin` values: each must be an origin exactly
 * (`scheme://host[:port]`, no path, no `*`).
 *
 * @param origins The values given.
 * @returns Problems, one per bad value (empty when all are fine).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { corsOriginProblems } from "./cors.ts";
 * assert.deepEqual(corsOriginProblems(["http://127.0.0.1:8080"]), []);
 * assert.match(corsOriginProblems(["*"])[0]!, /--cors-origin must be an origin/);
 * ```
 */
export function corsOriginProblems(origins: readonly string[]): string[] {
  const problems: string[] = [];
  for (const origin of origins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch { /* reported below */ }
    if (parsed === undefined || parsed.origin !== origin || parsed.origin === "null") {
      problems.push(
        `--cors-origin must be an origin such as 'https://app.example.org' or ` +
          `'http://127.0.0.1:8080' (scheme, host and port only), got '${origin}'`,
      );
    }
  }
  return problems;
}

/**
 * The middleware: answers preflights from the allowed origins (204, before
 * authentication) and adds `Access-Control-Allow-Origin` and the exposed
 * headers to their other responses. Requests from other origins get no CORS
 * headers, so the browser keeps the answers from the page; their preflight is
 * refused with 403.
 *
 * @param origins The allowed origins.
 * @returns The hono middleware.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Hono } from "hono";
 * import { cors } from "./cors.ts";
 * const app = new Hono().use("*", cors(["http://127.0.0.1:8080"])).get("/", (c) => c.text("ok"));
 * const res = await app.request("/", { headers: { origin: "http://127.0.0.1:8080" } });
 * assert.equal(res.headers.get("access-control-allow-origin"), "http://127.0.0.1:8080");
 * ```
 */
export function cors(origins: readonly string[]): MiddlewareHandler {
  const allowed = new Set(origins);
  return async (c, next) => {
    const origin = c.req.header("origin");
    const preflight = c.req.method === "OPTIONS" &&
      c.req.header("access-control-request-method") !== undefined;
    if (origin === undefined || !allowed.has(origin)) {
      if (preflight) {
        return c.json({
          error: {
            code: "forbidden",
            message: `origin '${origin}' is not allowed (--cors-origin)`,
          },
        }, 403);
      }
      return await next();
    }
    if (preflight) {
      return c.body(null, 204, {
        "access-control-allow-origin": origin,
        "access-control-allow-methods": "GET, POST, DELETE",
        "access-control-allow-headers": ALLOWED_HEADERS,
        "access-control-max-age": String(PREFLIGHT_MAX_AGE),
        vary: "origin",
      });
    }
    await next();
    c.res.headers.set("access-control-allow-origin", origin);
    c.res.headers.set("access-control-expose-headers", EXPOSED_HEADERS);
    c.res.headers.append("vary", "origin");
  };
}
