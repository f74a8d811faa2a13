import { nodeFetch } from "./node_fetch.ts";
import type { PinnedRequest } from "./pinned_fetch.ts";

/** A non-2xx answer of the agent, with its status and error code. */
export class AgentHttpError extends Error {
  /** Always `"AgentHttpError"`. */
  override name = "AgentHttpError";
  /** The HTTP status. */
  readonly status: number;
  /** The agent's error code (`unknown_session`, `cursor_expired`, …). */
  readonly code: string;

  /**
   * Makes the error of one answer.
   *
   * @param status HTTP status.
   * @param code The agent's error code.
   * @param message The agent's message.
   */
  constructor(status: number, code: string, message: string) {
    super(`agent answered ${status} ${code}: ${message}`);
    this.status = status;
    this.code = code;
  }
}

/** Where the agent is and how to prove who we are. */
export interface Endpoint {
  /** The agent's base URL, e.g. `https://10.0.0.7:41234`. */
  url: string;
  /** The agent's bearer token. */
  token: string;
  /** How requests go out; default the global `fetch`. A `pinnedFetch` for a pinned certificate. */
  fetch?: (url: string, init: PinnedRequest) => Promise<Response>;
}

/**
 * Sends a request to the agent with the bearer token and returns the
 * response when it is 2xx; throws {@linkcode AgentHttpError} otherwise, and
 * the network's error when the agent cannot be reached.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AgentHttpError } from "@asyncflow/asyncflow/remote";
 * assert.equal(new AgentHttpError(404, "unknown_session", "x").status, 404);
 * ```
 */
export async function agentFetch(
  endpoint: Endpoint,
  path: string,
  init: {
    method?: string;
    body?: unknown;
    /** Bytes sent as they come (a file), instead of a JSON `body`. */
    stream?: ReadableStream<Uint8Array>;
    /** Statuses besides 2xx answered as they are rather than thrown (404 of a `HEAD`). */
    allow?: readonly number[];
    /** A body that is JSON text already (instead of `body`). */
    json?: string;
    headers?: Record<string, string>;
    signal?: AbortSignal;
  } = {},
): Promise<Response> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${endpoint.token}`,
    ...init.headers,
  };
  let body: string | ReadableStream<Uint8Array> | undefined = init.stream ?? init.json;
  if (init.stream !== undefined) headers["content-type"] = "application/octet-stream";
  else if (body !== undefined || init.body !== undefined) {
    body ??= JSON.stringify(init.body);
    headers["content-type"] = "application/json";
  }
  // A streamed body goes through node:http(s) unless the endpoint has its own (pinned) fetch.
  const send = endpoint.fetch ?? (init.stream ? nodeFetch : fetch);
  const res = await send(`${endpoint.url}${path}`, {
    method: init.method ?? "GET",
    headers,
    // A streamed body goes out as it is read ("half" duplex: the answer comes after it).
    ...(body !== undefined ? { body, ...(init.stream ? { duplex: "half" as const } : {}) } : {}),
    ...(init.signal ? { signal: init.signal } : {}),
  });
  if (res.ok || init.allow?.includes(res.status)) return res;
  const text = await res.text().catch(() => "");
  let code = "http_error";
  let message = text.slice(0, 500);
  try {
    const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
    code = parsed.error?.code ?? code;
    message = parsed.error?.message ?? message;
  } catch {
    // Not JSON: keep the text.
  }
  throw new AgentHttpError(res.status, code, message);
}

/**
 * Drops a response's body that is not needed. Cancelling it can fail once its request was aborted
 * meanwhile (Bun then rejects with the abort's reason); that changes nothing, so it is not an
 * error — unhandled, it would be one of the whole process.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { discardBody } from "./http.ts";
 * let cancels = 0;
 * const body = new ReadableStream({
 *   cancel: () => (cancels++, Promise.reject(new DOMException("aborted", "AbortError"))),
 * });
 * await discardBody(new Response(body)); // resolves
 * assert.equal(cancels, 1);
 * ```
 */
export function discardBody(res: Response): Promise<void> {
  return res.body?.cancel().catch(() => {}) ?? Promise.resolve();
}

/** Waits `ms`, or less when `signal` aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
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
