/**
 * The agent's bounded server on Deno: Deno's own listener accepts (`Deno.listen`), and
 * `node:http` (over TLS `node:https`) parses what each accepted connection sends.
 *
 * Neither of Deno's servers does both jobs. `Deno.serve` has no header timeout, no idle timeout
 * and no hook on accepted connections (denoland/deno#3515). Deno's `node:http` has them, but
 * once one accept fails for lack of descriptors (a flood of idle connections) its listener stops
 * accepting for good, without an error. `Deno.listen`'s accept fails with `EMFILE` too, but the
 * listener stays whole: here the loop waits and accepts again, so the agent never goes deaf.
 * Seeing each connection as it is accepted also puts the cap before any parsing (a short `503`,
 * or over TLS a close before the handshake). TLS is `node:tls`'s, over the accepted connection,
 * for its handshake timeout: a `Deno.listenTls` connection that never starts its handshake keeps
 * its descriptor even once closed (Deno 2.9.5), until its client goes.
 *
 * @module
 */
import { setTimeout as sleep } from "node:timers/promises";
import { type DenoConn, DenoConnSocket } from "./deno_conn_socket.ts";
import {
  limitNodeServer,
  nodeServerOptions,
  refusal,
  type ResolvedLimits,
} from "./serve_limits.ts";

/** What {@linkcode serveBoundedOnDeno} needs of the `Deno` global. */
export interface DenoNet {
  listen(options: { hostname: string; port: number }): DenoConnListener;
}

/** A `Deno.Listener`, as far as the accept loop uses it. */
export interface DenoConnListener {
  readonly addr: { port: number };
  accept(): Promise<DenoConn>;
  close(): void;
}

/** What to serve, where and within which bounds. */
export interface BoundedDenoOptions {
  hostname: string;
  port: number;
  tls?: { cert: string; key: string } | undefined;
  limits: ResolvedLimits;
  /** What answers each request. */
  handler: (request: Request) => Response | Promise<Response>;
}

/** The longest pause between two accepts that failed (descriptors still exhausted). */
const MAX_ACCEPT_PAUSE_MS = 1_000;

/**
 * Serves `onRequest` on Deno with the header timeout, the idle timeout and the connection cap of
 * `limits`, on a listener that keeps accepting through `EMFILE`.
 *
 * @param deno The `Deno` global.
 * @param o Where to listen, TLS, the limits and the request listener.
 * @returns The port bound and `close()`, which stops accepting and ends every connection.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { serveBoundedOnDeno } from "./serve_deno.ts";
 * import { resolveLimits } from "./serve_limits.ts";
 * const server = await serveBoundedOnDeno(Deno, {
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   limits: resolveLimits({ maxConnections: 8 }),
 *   handler: () => new Response("ok"),
 * });
 * const answer = await fetch(`http://127.0.0.1:${server.port}/`);
 * assert.equal(await answer.text(), "ok");
 * await server.close();
 * ```
 */
export async function serveBoundedOnDeno(
  deno: DenoNet,
  o: BoundedDenoOptions,
): Promise<{ port: number; close: () => Promise<void> }> {
  const { getRequestListener } = await import("@hono/node-server");
  // The adapter leaves the process's Request and Response alone: Deno.serve refuses its own.
  const onRequest = getRequestListener(o.handler, { overrideGlobalObjects: false });
  const options = nodeServerOptions(o.limits);
  const server = o.tls
    ? (await import("node:https")).createServer({ ...options, ...o.tls }, onRequest)
    : (await import("node:http")).createServer(options, onRequest);
  limitNodeServer(server, o.limits);
  // node:http keeps a connection alive after a response only while its server is listening, and
  // starts checking header timeouts when it starts listening: this one never listens itself.
  let serving = true;
  Object.defineProperty(server, "listening", { get: () => serving });
  server.emit("listening");

  const tls = o.tls !== undefined;
  const listener = deno.listen({ hostname: o.hostname, port: o.port });
  const port = listener.addr.port;
  const open = new Set<DenoConnSocket>();
  const answer = new TextEncoder().encode(refusal(o.limits.maxConnections));

  const admit = (conn: DenoConn) => {
    const socket = new DenoConnSocket(conn);
    open.add(socket);
    socket.once("close", () => open.delete(socket));
    socket.on("error", () => {}); // a reset before node:http (or node:tls) took the socket
    // node:https wraps it in a TLSSocket, whose handshake gets the header timeout.
    server.emit("connection", socket);
  };
  const refuse = (conn: DenoConn) => {
    const close = () => {
      try {
        conn.close();
      } catch { /* the client went first */ }
    };
    // A plain answer would be noise to a TLS client: it is closed before its handshake.
    if (tls) close();
    else conn.write(answer).then(close, close);
  };

  const acceptLoop = async () => {
    let pause = 0;
    while (serving) {
      let conn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (!serving) return;
        if (pause === 0) {
          console.error(
            `asyncflow agent: cannot accept a connection on port ${port} (${error}); ` +
              "accepting again in a moment (out of descriptors: raise the open-file limit, " +
              "or lower connections.maxConnections)",
          );
        }
        pause = Math.min(Math.max(pause * 2, 25), MAX_ACCEPT_PAUSE_MS);
        await sleep(pause);
        continue;
      }
      pause = 0;
      if (open.size >= o.limits.maxConnections) refuse(conn);
      else admit(conn);
    }
  };
  void acceptLoop();

  return {
    port,
    close: () => {
      serving = false;
      try {
        listener.close();
      } catch { /* closed already */ }
      for (const socket of open) socket.destroy();
      return new Promise<void>((done) => server.close(() => done()));
    },
  };
}
