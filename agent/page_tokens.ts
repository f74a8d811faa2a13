/**
 * Page tokens: credentials narrower than the agent's token, for a browser
 * page. Whoever holds the agent's token (a server of the page's own, a
 * user's shell) asks for one with `POST /v1/page-tokens`; the page then uses
 * it as its bearer token. A page token opens one session and reaches only
 * that session's routes — nothing of other sessions, no metrics, no new page
 * tokens — expires (one hour by default, a day at most) and is revoked with
 * `DELETE /v1/page-tokens/{id}`. Page tokens live in the agent's memory
 * only: a restarted agent has none. See docs/agent.md for the risks that
 * remain.
 *
 * @module
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { Hono, type MiddlewareHandler } from "hono";

/** Default and longest lifetime of a page token (ms). */
export const PAGE_TOKEN_TTL_MS = { default: 60 * 60_000, max: 24 * 60 * 60_000, min: 1_000 };
/** Page tokens alive at once; one more is refused with 503. */
const MAX_PAGE_TOKENS = 1_000;
const FORMAT = /^pt\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{43})$/;

interface PageToken {
  readonly id: string;
  readonly digest: Buffer;
  readonly expiresAt: number;
  /** The session it opened, once it did. */
  session: string | undefined;
  /** Its session is being opened: a second open at the same time is refused. */
  opening: boolean;
}

function digest(secret: string): Buffer {
  return createHash("sha256").update(secret).digest();
}

/**
 * The page tokens an agent issued.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PageTokens } from "./page_tokens.ts";
 * let now = 0;
 * const tokens = new PageTokens(() => now);
 * const { token } = tokens.issue(60_000);
 * assert.ok(tokens.check(token));
 * now = 60_000;
 * assert.equal(tokens.check(token), undefined); // expired
 * ```
 */
export class PageTokens {
  readonly #tokens = new Map<string, PageToken>();
  readonly #now: () => number;

  /** @param now The clock (ms). */
  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /**
   * Issues a page token.
   *
   * @param ttlMs Its lifetime.
   * @returns The token (shown once), its id (to revoke it) and when it expires.
   * @throws {RangeError} When too many page tokens are alive.
   */
  issue(ttlMs: number): { id: string; token: string; expiresAt: number } {
    const now = this.#now();
    for (const [id, t] of this.#tokens) if (t.expiresAt <= now) this.#tokens.delete(id);
    if (this.#tokens.size >= MAX_PAGE_TOKENS) {
      throw new RangeError(
        `the agent holds ${MAX_PAGE_TOKENS} live page tokens, its limit: revoke some`,
      );
    }
    const id = randomBytes(12).toString("base64url");
    const secret = randomBytes(32).toString("base64url");
    const expiresAt = now + ttlMs;
    this.#tokens.set(id, {
      id,
      digest: digest(secret),
      expiresAt,
      session: undefined,
      opening: false,
    });
    return { id, token: `pt.${id}.${secret}`, expiresAt };
  }

  /**
   * Revokes a page token: every later request with it is refused.
   *
   * @returns Whether there was such a token.
   */
  revoke(id: string): boolean {
    return this.#tokens.delete(id);
  }

  /**
   * The live page token a bearer value stands for (compared in constant time).
   *
   * @returns The token's record, or `undefined` when unknown, revoked or expired.
   */
  check(bearer: string): PageToken | undefined {
    const m = FORMAT.exec(bearer);
    if (m === null) return undefined;
    const t = this.#tokens.get(m[1]!);
    if (t === undefined || !timingSafeEqual(t.digest, digest(m[2]!))) return undefined;
    if (t.expiresAt <= this.#now()) {
      this.#tokens.delete(t.id);
      return undefined;
    }
    return t;
  }
}

function refuse(status: 401 | 403, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, { status });
}

/**
 * Authentication with page tokens beside the agent's token: a request whose
 * bearer has the page-token form is allowed only within its token's session
 * (and to open that session once); any other request goes to `master`.
 *
 * @param tokens The agent's page tokens.
 * @param master The check of the agent's own token.
 * @returns The middleware.
 */
export function pageTokenAuth(tokens: PageTokens, master: MiddlewareHandler): MiddlewareHandler {
  return async (c, next) => {
    const bearer = /^Bearer (pt\..+)$/.exec(c.req.header("authorization") ?? "")?.[1];
    if (bearer === undefined) return master(c, next);
    const t = tokens.check(bearer);
    if (t === undefined) {
      return refuse(401, "unauthorized", "page token unknown, revoked or expired");
    }
    const path = c.req.path;
    if (c.req.method === "POST" && path === "/v1/sessions") {
      if (t.session !== undefined || t.opening) {
        return refuse(
          403,
          "forbidden",
          `this page token opened session ${
            t.session ?? "(opening)"
          }; a page token opens one session`,
        );
      }
      t.opening = true;
      try {
        await next();
        if (c.res.status === 201) t.session = (await c.res.clone().json()).session;
      } finally {
        t.opening = false;
      }
      return;
    }
    const own = `/v1/sessions/${t.session}`;
    if (t.session !== undefined && (path === own || path.startsWith(`${own}/`))) return next();
    return refuse(
      403,
      "forbidden",
      "a page token reaches only the session it opened (POST /v1/sessions, then /v1/sessions/{its sid}/…)",
    );
  };
}

/**
 * `POST /` (body `{ "ttlMs"?: number }`) issues a page token; `DELETE /:id`
 * revokes one. Mounted at `/v1/page-tokens`, behind {@linkcode pageTokenAuth},
 * which keeps page tokens themselves out.
 *
 * @param tokens The agent's page tokens.
 * @returns The routes.
 */
export function pageTokenRoutes(tokens: PageTokens): Hono {
  const routes = new Hono();
  routes.post("/", async (c) => {
    const text = await c.req.text();
    if (text.length > 1024) {
      return c.json(
        { error: { code: "too_large", message: "the body is larger than 1024 bytes" } },
        413,
      );
    }
    let ttlMs: unknown = PAGE_TOKEN_TTL_MS.default;
    try {
      if (text.trim() !== "") ttlMs = (JSON.parse(text) as { ttlMs?: unknown }).ttlMs ?? ttlMs;
    } catch {
      return c.json({
        error: { code: "bad_request", message: 'the body must be JSON: { "ttlMs"?: number }' },
      }, 400);
    }
    const { min, max } = PAGE_TOKEN_TTL_MS;
    if (typeof ttlMs !== "number" || !Number.isInteger(ttlMs) || ttlMs < min || ttlMs > max) {
      return c.json({
        error: {
          code: "bad_request",
          message: `'ttlMs' must be an integer from ${min} to ${max}, got ${JSON.stringify(ttlMs)}`,
        },
      }, 400);
    }
    try {
      return c.json(tokens.issue(ttlMs), 201);
    } catch (error) {
      return c.json(
        { error: { code: "too_many_page_tokens", message: (error as Error).message } },
        503,
      );
    }
  });
  routes.delete(
    "/:id",
    (c) =>
      tokens.revoke(c.req.param("id"))
        ? c.body(null, 204)
        : c.json({ error: { code: "unknown_page_token", message: "no such page token" } }, 404),
  );
  return routes;
}
