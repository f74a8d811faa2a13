/**
 * Requests with a streamed body (a file being uploaded) over `node:http(s)`. Node's global
 * `fetch` reads a stream body ahead of the socket, so a large file would end up in memory whole;
 * here each chunk waits for the socket to drain, on Deno, Bun and Node alike.
 *
 * @module
 */
import { toWebResponse } from "./_node_response.ts";
import { nodeBuiltins } from "./_node_builtins.ts";
import type { PinnedRequest } from "./pinned_fetch.ts";

/**
 * Sends one request over `node:http` or `node:https` (by the URL's scheme) and answers with a
 * web `Response`, its body streamed.
 *
 * @param url The URL.
 * @param init Method, headers, body (a string or a stream) and signal.
 * @returns The response.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createServer } from "node:http";
 * import { nodeFetch } from "./node_fetch.ts";
 * const server = createServer((req, res) => {
 *   let n = 0;
 *   req.on("data", (c) => (n += c.length)).on("end", () => res.end(String(n)));
 * });
 * await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
 * const { port } = server.address() as { port: number };
 * const body = new Blob([new Uint8Array(100_000)]).stream();
 * const res = await nodeFetch(`http://127.0.0.1:${port}/`, { method: "PUT", body });
 * assert.equal(await res.text(), "100000");
 * server.close();
 * ```
 */
export function nodeFetch(url: string, init: PinnedRequest = {}): Promise<Response> {
  const scheme = url.startsWith("https:") ? "node:https" : "node:http";
  const { request } = nodeBuiltins("a streamed upload")(scheme) as typeof import("node:http");
  return new Promise<Response>((resolve, reject) => {
    const { signal } = init;
    if (signal?.aborted) return reject(signal.reason);
    const req = request(url, { method: init.method ?? "GET", headers: init.headers });
    const abort = () => req.destroy(signal!.reason);
    signal?.addEventListener("abort", abort, { once: true });
    req.on("error", (error) => {
      signal?.removeEventListener("abort", abort);
      reject(error);
    });
    req.on("response", (res) => {
      res.on("close", () => signal?.removeEventListener("abort", abort));
      resolve(toWebResponse(res, signal));
    });
    sendBody(init.body, req);
  });
}

/**
 * Ends a `node:http` request with its body: a string at once, a stream chunk by chunk, waiting
 * for the socket to drain whenever it is full.
 */
export function sendBody(
  body: string | ReadableStream<Uint8Array> | undefined,
  req: {
    write(chunk: Uint8Array): boolean;
    end(data?: string): void;
    destroy(error?: Error): void;
    once(event: "drain" | "close", listener: () => void): void;
    off(event: "drain" | "close", listener: () => void): void;
  },
): void {
  if (typeof body === "string" || body === undefined) return req.end(body);
  (async () => {
    const reader = body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return req.end();
      if (!req.write(value)) {
        await new Promise<void>((resolve) => {
          const go = () => {
            req.off("drain", go);
            req.off("close", go);
            resolve();
          };
          req.once("drain", go);
          req.once("close", go);
        });
      }
    }
  })().catch((error) => req.destroy(error));
}
