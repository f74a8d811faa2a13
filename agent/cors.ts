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
import { invalid } from "../src/validate.ts";

/** The request headers the client sends. */
const ALLOWED_HEADERS = "authorization, content-type, accept, last-event-id";
/** The response headers the client reads (beside the CORS-safelisted ones). */
const EXPOSED_HEADERS = "x-total-bytes";
/** How long a browser may keep a preflight's answer (seconds). */
const PREFLIGHT_MAX_AGE = 600;

/**
 * Checks one allowed origin (`--cors-origin`, `corsOrigins`): it must be an origin exactly
 * (`scheme://host[:port]`, no path, no `*`), in the message form of every check
 * (`src/validate.ts`).
 *
 * @param value The value given.
 * @param name The flag or option, for the message: `--cors-origin`.
 * @param where The place, for the message: `asyncflow agent`.
 * @returns The origin.
 * @throws {TypeError} `<where>: '<name>' must be an origin such as …, got <value>`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { corsOrigin } from "./cors.ts";
 * assert.equal(corsOrigin("http://127.0.0.1:8080", "--cors-origin", "asyncflow agent"), "http://127.0.0.1:8080");
 * assert.throws(
 *   () => corsOrigin("*", "--cors-origin", "asyncflow agent"),
 *   /^TypeError: asyncflow agent: '--cors-origin' must be an origin such as .*, got the string "\*"$/,
 * );
 * ```
 */
export function corsOrigin(value: string, name: string, where: string): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(value);
  } catch { /* refused below */ }
  if (parsed === undefined || parsed.origin !== value || parsed.origin === "null") {
    throw invalid(
      where,
      name,
      "an origin such as 'https://app.example.org' or 'http://127.0.0.1:8080' " +
        "(scheme, host and port only)",
      value,
    );
  }
  return value;
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
