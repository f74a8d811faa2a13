/**
 * Reads a dashboard's Server-Sent Events in tests.
 *
 * @module
 */

/** Reads an SSE response one event at a time: each call gives the next event's data. */
export function eventReader(res: Response): { next(): Promise<string>; close(): Promise<void> } {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  return {
    async next() {
      for (;;) {
        const end = text.indexOf("\n\n");
        if (end >= 0) {
          const block = text.slice(0, end);
          text = text.slice(end + 2);
          const line = block.split("\n").find((l) => l.startsWith("data: "));
          if (line) return line.slice(6);
          continue;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error("the stream ended");
        text += value;
      }
    },
    close: () => reader.cancel(),
  };
}
