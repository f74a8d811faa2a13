/** One Server-Sent Events message. */
export interface SseMessage {
  /** The `id:` field, when the message had one. */
  id?: string;
  /** The `event:` field; `message` when absent. */
  event: string;
  /** The `data:` lines, joined with newlines. */
  data: string;
}

/**
 * Reads Server-Sent Events from a response body (the WHATWG framing: fields
 * per line, a blank line ends a message, `:` starts a comment). A message is
 * yielded only once complete, so a connection cut in the middle of one loses
 * nothing that the cursor would skip.
 *
 * @param body The response body.
 * @param onBytes Called for every chunk received (pings included): proof the agent is alive.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readSse } from "./sse.ts";
 * const body = new Response("id: 7\nevent: e\ndata: [1]\n\n").body!;
 * const messages = [];
 * for await (const m of readSse(body)) messages.push([m.id, m.data]);
 * assert.deepEqual(messages, [["7", "[1]"]]);
 * ```
 */
export async function* readSse(
  body: ReadableStream<Uint8Array>,
  onBytes: () => void = () => {},
): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let buffer = "";
  let message: { id?: string; event: string; data: string[] } = { event: "message", data: [] };
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) return;
      onBytes();
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, end).replace(/\r$/, "");
        buffer = buffer.slice(end + 1);
        if (line === "") {
          if (message.data.length > 0 || message.id !== undefined) {
            const out: SseMessage = { event: message.event, data: message.data.join("\n") };
            if (message.id !== undefined) out.id = message.id;
            yield out;
          }
          message = { event: "message", data: [] };
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "data") message.data.push(text);
        else if (field === "event") message.event = text;
        else if (field === "id") message.id = text;
      }
    }
  } finally {
    reader.releaseLock();
    await body.cancel().catch(() => {});
  }
}
