/** Helpers of the file-route tests: raw uploads that can lie about their length, or stop. */
import { createHash } from "node:crypto";
import { readdirSync } from "node:fs";
import { type ClientRequest, request } from "node:http";
import { Buffer } from "node:buffer";
import type { Loose } from "./helpers.ts";

/** The SHA-256 of bytes, in hex. */
export function sha256(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** What a raw upload got: the status and body of the answer, and how much it had sent by then. */
export interface RawAnswer {
  status: number;
  body: Loose;
  sentBeforeAnswer: number;
}

/**
 * A `PUT` with `node:http`, the body written chunk by chunk, reading the answer even when the
 * agent answers before the body is all sent (which `fetch` reports as a network error).
 *
 * @param o.length The `Content-Length` to declare; none: chunked.
 * @param o.chunks The body's chunks, written one after the other until an answer comes.
 * @param o.cut Destroy the connection after the chunks (a client that dies mid-body).
 */
export function putRaw(
  base: { url: string; token: string },
  path: string,
  o: { length?: number; chunks: Iterable<Uint8Array>; cut?: boolean },
): Promise<RawAnswer | "cut"> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const headers: Record<string, string | number> = { authorization: `Bearer ${base.token}` };
    if (o.length !== undefined) headers["content-length"] = o.length;
    const req: ClientRequest = request(`${base.url}${path}`, {
      method: "PUT",
      headers,
      agent: false,
    }, (res) => {
      answered = true;
      const at = sent;
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => {
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch { /* keep the text */ }
        resolve({ status: res.statusCode!, body, sentBeforeAnswer: at });
        req.destroy();
      });
      res.on("error", reject);
    });
    req.on("error", () => {
      if (o.cut) resolve("cut");
    }); // EPIPE/ECONNRESET after an early answer
    req.flushHeaders();
    const chunks = o.chunks[Symbol.iterator]();
    const pump = () => {
      while (!answered) {
        const next = chunks.next();
        if (next.done) {
          if (o.cut) {
            req.destroy();
            setTimeout(() => resolve("cut"), 0);
          } else req.end();
          return;
        }
        sent += next.value.length;
        if (!req.write(next.value)) return void req.once("drain", pump);
      }
    };
    pump();
  });
}

/** `n` chunks of `size` bytes. */
export function* chunksOf(n: number, size: number, fill = 7): Generator<Uint8Array> {
  for (let i = 0; i < n; i++) yield Buffer.alloc(size, fill);
}

/** The temporary files of uploads under way in an agent's store. */
export function uploadsUnderWay(agentDir: string): string[] {
  return readdirSync(`${agentDir}/blobs/.tmp`);
}
