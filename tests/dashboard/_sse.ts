/**
 * Reads a dashboard's Server-Sent Events in tests.
 *
 * @module
 */

/** One event of the stream: its type (`update`, `tick`) and its data. */
export interface StreamEvent {
  type: string;
  data: string;
}

/**
 * Reads an SSE response one event at a time: `next()` gives the next event's data, `nextEvent()`
 * the next event with its type.
 */
export function eventReader(res: Response): {
  next(): Promise<string>;
  nextEvent(): Promise<StreamEvent>;
  close(): Promise<void>;
} {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const nextEvent = async (): Promise<StreamEvent> => {
    for (;;) {
      const end = text.indexOf("\n\n");
      if (end >= 0) {
        const lines = text.slice(0, end).split("\n");
        text = text.slice(end + 2);
        const data = lines.find((l) => l.startsWith("data: "));
        const type = lines.find((l) => l.startsWith("event: "))?.slice(7) ?? "message";
        if (data) return { type, data: data.slice(6) };
        continue;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error("the stream ended");
      text += value;
    }
  };
  return {
    nextEvent,
    next: async () => (await nextEvent()).data,
    close: () => reader.cancel(),
  };
}
