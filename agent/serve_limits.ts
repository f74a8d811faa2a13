/**
 * Bounds on the agent's connections: a client that connects and sends nothing, or keeps an idle
 * connection, must not hold a descriptor for ever, and a flood of connections must be refused
 * gracefully near the file limit rather than take the agent's ability to open its journal,
 * outputs and processes' pipes (or, on Deno, end its accept loop).
 *
 * @module
 */
import { readFileSync } from "node:fs";

/** How long connections may hold the agent. */
export interface ConnectionLimits {
  /** ms a client has to send a request's headers. Default 10 000. */
  headerTimeoutMs?: number;
  /**
   * ms a connection may stay open without a request in flight. Default 75 000: more than the
   * longest long poll (30 s) and than the gap between event-stream pings (15 s).
   */
  idleTimeoutMs?: number;
  /**
   * Connections served at once; one more gets a short `503` and is closed (over TLS: closed).
   * Default: from the open-file limit.
   */
  maxConnections?: number;
  /**
   * The HTTP server on Deno and Bun. `"node"` (the default): requests parsed by their
   * `node:http`, which the limits above bound (on Deno, connections accepted by Deno's own
   * listener, which keeps accepting once descriptors are free again: `serve_deno.ts`).
   * `"runtime"`: `Deno.serve` or `Bun.serve`, faster per request (see docs/agent.md) but without
   * a header timeout or a cap on connections, and on Deno without an idle timeout either. Node
   * always serves through `node:http`.
   */
  server?: "node" | "runtime";
}

/** The limits themselves, with their defaults filled in. */
export type ResolvedLimits = Required<Omit<ConnectionLimits, "server">>;

/** Descriptors left for the journal, output files, process pipes and the runtime itself. */
const RESERVED_FILES = 128;

/**
 * The connection cap that leaves room under this process's open-file limit (Linux
 * `/proc/self/limits`): the soft limit minus a reserve, at least 32, at most 10 000.
 *
 * @param limitsText The text of `/proc/self/limits` (read when not given).
 * @returns The cap.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultMaxConnections } from "./serve_limits.ts";
 * const text = "Max open files            1024                 4096                 files     \n";
 * assert.equal(defaultMaxConnections(text), 1024 - 128);
 * ```
 */
export function defaultMaxConnections(limitsText?: string): number {
  let soft = 1024;
  try {
    const text = limitsText ?? readFileSync("/proc/self/limits", "utf8");
    const match = /^Max open files\s+(\d+|unlimited)/m.exec(text);
    if (match) soft = match[1] === "unlimited" ? Infinity : Number(match[1]);
  } catch { /* no /proc: keep the common default */ }
  return Math.max(32, Math.min(10_000, soft - RESERVED_FILES));
}

/** The limits with their defaults filled in. */
export function resolveLimits(limits: ConnectionLimits = {}): ResolvedLimits {
  return {
    headerTimeoutMs: limits.headerTimeoutMs ?? 10_000,
    idleTimeoutMs: limits.idleTimeoutMs ?? 75_000,
    maxConnections: limits.maxConnections ?? defaultMaxConnections(),
  };
}

/** The part of a `node:http` server the limits set. */
interface NodeHttpServer {
  headersTimeout: number;
  keepAliveTimeout: number;
  requestTimeout: number;
}

/**
 * The options of `node:http(s)`'s `createServer` that only take effect at creation: how often
 * Node checks the header timeout (by default every 30 s, which would let a silent connection
 * stay three times longer than asked), and the TLS handshake's timeout.
 */
export function nodeServerOptions(limits: ResolvedLimits): Record<string, number> {
  return {
    connectionsCheckingInterval: Math.max(50, Math.min(1_000, limits.headerTimeoutMs / 4)),
    headersTimeout: limits.headerTimeoutMs,
    keepAliveTimeout: limits.idleTimeoutMs,
    // Over TLS the headers come after the handshake, which by default may take 120 s.
    handshakeTimeout: limits.headerTimeoutMs,
  };
}

/**
 * Applies the timeouts to a `node:http(s)` server: the header timeout (a client that sends its
 * headers a byte at a time does not reset it) and the keep-alive (idle) timeout.
 */
export function limitNodeServer(server: unknown, limits: ResolvedLimits): void {
  const s = server as NodeHttpServer;
  s.headersTimeout = limits.headerTimeoutMs;
  // Node checks headersTimeout only when requestTimeout is set and not smaller.
  s.requestTimeout = Math.max(s.requestTimeout || 0, limits.headerTimeoutMs, 300_000);
  s.keepAliveTimeout = limits.idleTimeoutMs;
}

/** The part of a `node:net` server and its sockets that {@linkcode refuseOverCap} uses. */
interface CountedServer {
  on(event: string, listener: (socket: CountedSocket) => void): unknown;
}
interface CountedSocket {
  once(event: "close", listener: () => void): unknown;
  on(event: "error", listener: () => void): unknown;
  end(data?: string): unknown;
  destroy(): unknown;
}

/**
 * What a connection over the cap reads before it is closed: a whole `503 too_many_connections`.
 *
 * @param max The cap.
 * @returns The answer, head and body.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { refusal } from "./serve_limits.ts";
 * assert.match(refusal(3), /^HTTP\/1\.1 503 [^]*"too_many_connections"/);
 * ```
 */
export function refusal(max: number): string {
  const body = JSON.stringify({
    error: {
      code: "too_many_connections",
      message: `the agent serves ${max} connections at once, its most: retry in a moment, ` +
        "or close idle connections",
    },
  });
  return "HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\nretry-after: 1\r\n" +
    `content-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`;
}

/**
 * Caps the connections a `node:http(s)` server serves at once. One over the cap gets a short
 * `503 too_many_connections` and is closed, before it costs more than its descriptor; over TLS,
 * where a plain answer would be noise, it is closed at once. Node's own `maxConnections` would
 * drop it without a word, and Deno and Bun implement none.
 *
 * @param server The server.
 * @param max The most connections at once.
 * @param tls Whether the server speaks TLS.
 * @returns How many connections are open, for tests and metrics.
 */
export function refuseOverCap(server: unknown, max: number, tls: boolean): () => number {
  const answer = refusal(max);
  let open = 0;
  (server as CountedServer).on("connection", (socket) => {
    if (open >= max) {
      socket.on("error", () => {}); // a client that already went: nothing to tell it
      if (tls) socket.destroy();
      else socket.end(answer);
      return;
    }
    open++;
    socket.once("close", () => open--);
  });
  return () => open;
}

/**
 * Bun's `idleTimeout`, in seconds (1–255). Bun has one timeout for a connection that sends
 * nothing and for a response that sends nothing (a long poll, an event stream between pings),
 * so it is the idle timeout: a silent client is cut off after that, not after the header timeout.
 */
export function bunIdleTimeout(limits: ResolvedLimits): number {
  return Math.max(1, Math.min(255, Math.ceil(limits.idleTimeoutMs / 1000)));
}

/** What {@linkcode keepDenoServing} needs of a `Deno.serve` server. */
export interface DenoServerLike {
  addr: { port: number };
  finished: Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * Keeps a `Deno.serve` listener up: Deno ends its accept loop for good on an accept error
 * (`EMFILE` when idle connections have taken every descriptor), which would leave the agent
 * alive but deaf. When that happens, the failure is logged and the same port served again,
 * after a pause that grows to 1 s while it keeps failing.
 *
 * @param start Starts serving on a port (0: a free one).
 * @param port The port to serve.
 * @returns The port bound, and `close()`, which stops for good.
 */
export function keepDenoServing(
  start: (port: number) => DenoServerLike,
  port: number,
): { port: number; close: () => Promise<void> } {
  let server = start(port);
  const bound = server.addr.port;
  let stopped = false;
  let pause = 50;
  const watch = (s: DenoServerLike) => {
    s.finished.then(() => {}, (error) => {
      if (stopped) return;
      console.error(
        `asyncflow agent: the listener on port ${bound} failed (${error}); serving it again`,
      );
      const again = () => {
        if (stopped) return;
        try {
          server = start(bound);
          pause = 50;
          watch(server);
        } catch (failure) {
          console.error(`asyncflow agent: cannot serve port ${bound} again yet: ${failure}`);
          pause = Math.min(pause * 2, 1_000);
          setTimeout(again, pause);
        }
      };
      setTimeout(again, pause);
    });
  };
  watch(server);
  return {
    port: bound,
    close: () => {
      stopped = true;
      return server.shutdown();
    },
  };
}
