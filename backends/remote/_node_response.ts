/**
 * A web `Response` over a `node:http` response (what `pinnedFetch` hands back).
 *
 * @module
 */
import type { IncomingMessage } from "node:http";

/**
 * A web `Response` over a `node:http` response, its body streamed with backpressure. Data that
 * arrives once the body was cancelled, ended or failed is dropped: Deno's `node:https` delivers
 * some after `destroy()`, and a closed stream throws on `enqueue`.
 *
 * @param res The response.
 * @param signal The request's signal: its reason is the body's error when it aborts mid-body.
 * @returns The response.
 */
export function toWebResponse(res: IncomingMessage, signal?: AbortSignal): Response {
  const headers = new Headers();
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
    headers.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
  }
  const status = res.statusCode ?? 502;
  if (status === 204 || status === 304) {
    res.resume();
    return new Response(null, { status, headers });
  }
  let done = false;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      res.on("data", (chunk: Uint8Array) => {
        if (done) return;
        controller.enqueue(new Uint8Array(chunk));
        if ((controller.desiredSize ?? 1) <= 0) res.pause();
      });
      res.on("end", () => {
        if (done) return;
        done = true;
        controller.close();
      });
      res.on("close", () => {
        if (done) return;
        done = true;
        controller.error(signal?.reason ?? new Error("the connection to the agent closed"));
      });
    },
    pull: () => void res.resume(),
    cancel: () => {
      done = true;
      res.destroy();
    },
  }, { highWaterMark: 16 });
  return new Response(body, { status, statusText: res.statusMessage ?? "", headers });
}
