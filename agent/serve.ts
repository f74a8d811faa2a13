/**
 * Serves a web-standard handler on Deno, Bun or Node. By default every runtime parses requests
 * with its `node:http`, which has the header timeout, the keep-alive timeout and a place to cap
 * connections (`serve_limits.ts`): `Deno.serve` and `Bun.serve` offer neither a header timeout
 * nor a hook on accepted connections (denoland/deno#3515). Node and Bun listen through
 * `node:http` itself (`@hono/node-server`). Deno accepts on its own listener and hands each
 * connection to `node:http` (`serve_deno.ts`): Deno's `node:http` listener stops accepting for
 * good after an accept fails with EMFILE (a flood of idle connections). `server: "runtime"`
 * picks `Deno.serve` or `Bun.serve` instead, for their speed.
 *
 * @module
 */

import { runtime } from "../src/host/runtime.ts";
import {
  bunIdleTimeout,
  type ConnectionLimits,
  keepDenoServing,
  limitNodeServer,
  nodeServerOptions,
  refuseOverCap,
  resolveLimits,
} from "./serve_limits.ts";
import { type DenoNet, serveBoundedOnDeno } from "./serve_deno.ts";

/** A web-standard request handler. */
export type Handler = (request: Request) => Response | Promise<Response>;

/** Where and how to listen. */
export interface ListenOptions extends ConnectionLimits {
  hostname: string;
  port: number;
  /** PEM texts of a certificate and its key: serve HTTPS. */
  tls?: { cert: string; key: string };
  /**
   * The largest request body the server itself lets through (Bun refuses bodies over 128 MiB by
   * default); the routes set their own, smaller limits. Default: Bun's.
   */
  maxBodyBytes?: number;
}

/** A listening server. */
export interface Listener {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  /** Stops listening and ends open connections. */
  close(): Promise<void>;
}

interface DenoServer {
  addr: { port: number };
  finished: Promise<void>;
  shutdown(): Promise<void>;
}
interface DenoLike {
  serve(options: Record<string, unknown>, handler: Handler): DenoServer;
}
interface BunServer {
  port: number;
  stop(force?: boolean): Promise<void> | void;
}
interface BunLike {
  serve(options: Record<string, unknown>): BunServer;
}

/**
 * Starts serving `handler`.
 *
 * @param handler What answers each request.
 * @param options Where to listen, TLS, and the bounds on connections.
 * @returns The listening server.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { listen } from "./serve.ts";
 * const server = await listen(() => new Response("ok"), { hostname: "127.0.0.1", port: 0 });
 * assert.ok(server.port > 0);
 * await server.close();
 * ```
 */
export function listen(handler: Handler, options: ListenOptions): Promise<Listener> {
  const g = globalThis as { Deno?: DenoLike & DenoNet; Bun?: BunLike };
  if (options.server === "runtime") {
    if (runtime === "deno") return listenDeno(g.Deno!, handler, options);
    if (runtime === "bun") return Promise.resolve(listenBun(g.Bun!, handler, options));
  }
  if (runtime === "deno") {
    return serveBoundedOnDeno(g.Deno!, {
      hostname: options.hostname,
      port: options.port,
      tls: options.tls,
      limits: resolveLimits(options),
      handler,
    });
  }
  return listenNode(handler, options);
}

function listenDeno(deno: DenoLike, handler: Handler, o: ListenOptions): Promise<Listener> {
  return new Promise((resolve, reject) => {
    try {
      const start = (port: number) =>
        deno.serve({
          hostname: o.hostname,
          port,
          ...(o.tls ? { cert: o.tls.cert, key: o.tls.key } : {}),
          onListen: () => {},
          onError: (error: unknown) =>
            Response.json({ error: { code: "internal", message: String(error) } }, { status: 500 }),
        }, handler);
      resolve(keepDenoServing(start, o.port));
    } catch (error) {
      reject(error);
    }
  });
}

function listenBun(bun: BunLike, handler: Handler, o: ListenOptions): Listener {
  const server = bun.serve({
    hostname: o.hostname,
    port: o.port,
    fetch: handler,
    // Longer than the gap between event-stream pings and than a long poll.
    idleTimeout: bunIdleTimeout(resolveLimits(o)),
    ...(o.maxBodyBytes !== undefined ? { maxRequestBodySize: o.maxBodyBytes } : {}),
    ...(o.tls ? { tls: { cert: o.tls.cert, key: o.tls.key } } : {}),
  });
  return { port: server.port, close: async () => await server.stop(true) };
}

async function listenNode(handler: Handler, o: ListenOptions): Promise<Listener> {
  const { serve } = await import("@hono/node-server");
  const https = o.tls ? await import("node:https") : undefined;
  const limits = resolveLimits(o);
  return new Promise((resolve, reject) => {
    const server = serve({
      fetch: handler,
      hostname: o.hostname,
      port: o.port,
      serverOptions: {
        ...nodeServerOptions(limits),
        ...(o.tls ? { cert: o.tls.cert, key: o.tls.key } : {}),
      },
      ...(https ? { createServer: https.createServer } : {}),
      // The adapter would swap the process's global Request and Response for its own; Deno.serve
      // and Bun.serve refuse those (another agent, or the user's own server, in this process).
      ...(runtime === "node" ? {} : { overrideGlobalObjects: false }),
    }, (info) => {
      limitNodeServer(server, limits);
      refuseOverCap(server, limits.maxConnections, o.tls !== undefined);
      resolve({
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            (server as { closeAllConnections?: () => void }).closeAllConnections?.();
          }),
      });
    });
    server.once("error", reject);
  });
}
