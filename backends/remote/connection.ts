import { nodeBuiltins } from "./_node_builtins.ts";
import { endpointPin } from "./endpoint_pin.ts";
import type { Endpoint } from "./http.ts";
import type { PinnedFetch } from "./pinned_fetch.ts";

/**
 * Where the client reaches its agent, and the requests it has open there. When the agent is
 * replaced (restarted on the same directory, elsewhere or on another port) while the old one's
 * sockets stay open — a frozen node answers nothing and resets nothing — {@linkcode follow}
 * re-reads the endpoint file and abandons every request still open on the old address, so the
 * client goes on with the new agent at once instead of waiting for sockets that never end.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AgentConnection } from "./connection.ts";
 * const c = new AgentConnection({ url: "http://127.0.0.1:9", token: "t" }, undefined, new AbortController().signal);
 * assert.equal(c.endpoint.url, "http://127.0.0.1:9");
 * assert.equal(c.follow(), false); // no endpoint file: nothing to follow
 * ```
 */
export class AgentConnection {
  readonly #file: string | undefined;
  readonly #stop: AbortSignal;
  #endpoint: Endpoint | undefined;
  #open = new AbortController();
  #signal: AbortSignal;

  /**
   * @param endpoint The agent's address, or `undefined` to read it from `file` on first use.
   * @param file The endpoint file (`{ url, token }`), or `undefined`.
   * @param stop Aborts every request for good (the backend's shutdown).
   */
  constructor(endpoint: Endpoint | undefined, file: string | undefined, stop: AbortSignal) {
    this.#endpoint = endpoint;
    this.#file = file;
    this.#stop = stop;
    this.#signal = AbortSignal.any([stop, this.#open.signal]);
  }

  /**
   * The agent's address (read from the endpoint file the first time when none was given).
   *
   * @throws {Error} When the endpoint file cannot be read or has the wrong shape.
   */
  get endpoint(): Endpoint {
    return this.#endpoint ??= readEndpointFile(this.#file!);
  }

  /** Aborted on shutdown, and when the client moves to a replacement agent. */
  get signal(): AbortSignal {
    return this.#signal;
  }

  /**
   * Re-reads the endpoint file; when it names another agent (URL or token), moves there and
   * aborts every request open on the old one.
   *
   * @returns Whether the client moved.
   */
  follow(): boolean {
    if (this.#file === undefined || this.#stop.aborted) return false;
    let next: Endpoint;
    try {
      next = readEndpointFile(this.#file);
    } catch {
      return false; // being rewritten, or gone for now: keep the last one
    }
    const now = this.#endpoint;
    if (now !== undefined && sameAgent(now, next)) {
      closePinned(next);
      return false;
    }
    this.#endpoint = next;
    if (now !== undefined) closePinned(now);
    this.#open.abort(new Error(`the agent moved to ${next.url}`));
    this.#open = new AbortController();
    this.#signal = AbortSignal.any([this.#stop, this.#open.signal]);
    return now !== undefined;
  }

  /**
   * The error of the tasks in flight when the agent has not answered for `ms`.
   *
   * @param backend The backend's name.
   * @param last The last error seen, if any.
   */
  unreachable(backend: string, ms: number, last: unknown): Error {
    const why = last === undefined
      ? "none; its requests are still waiting for an answer"
      : last instanceof Error
      ? last.message
      : String(last);
    return new Error(
      `RemoteBackend '${backend}': the agent at ${this.endpoint.url} has not answered for more ` +
        `than ${ms} ms, its 'unreachableAfter' (last error: ${why})`,
    );
  }

  /** Ends the kept-alive connections of a pinned endpoint (at shutdown). */
  close(): void {
    if (this.#endpoint !== undefined) closePinned(this.#endpoint);
  }
}

/** The same agent: same address, token and pinned certificate (a replacement makes a new one). */
function sameAgent(a: Endpoint & { fingerprint?: string }, b: Endpoint & { fingerprint?: string }) {
  return a.url === b.url && a.token === b.token && a.fingerprint === b.fingerprint;
}

function closePinned(endpoint: Endpoint): void {
  (endpoint.fetch as PinnedFetch | undefined)?.close?.();
}

/**
 * Reads `{ url, token }`, and a pinned certificate when there is one, from an endpoint file
 * (what `asyncflow agent` writes).
 *
 * @throws {Error} Naming the file, when it cannot be read or has the wrong shape.
 */
export function readEndpointFile(path: string): Endpoint & { fingerprint?: string } {
  let parsed: { url?: unknown; token?: unknown; certificate?: unknown; fingerprint?: unknown };
  const { readFileSync } = nodeBuiltins("an endpoint file")("node:fs");
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new Error(
      `RemoteBackend: cannot read the endpoint file ${path}: ${(error as Error).message}`,
    );
  }
  if (typeof parsed.url !== "string" || typeof parsed.token !== "string") {
    throw new Error(
      `RemoteBackend: the endpoint file ${path} must hold { "url": string, "token": string }`,
    );
  }
  // A certificate pinned by the file (`--tls-self-signed`) is the only one trusted.
  const pin = endpointPin(parsed, path);
  return {
    url: parsed.url.replace(/\/+$/, ""),
    token: parsed.token,
    ...pin,
    ...(pin.fetch ? { fingerprint: parsed.fingerprint as string } : {}),
  };
}
