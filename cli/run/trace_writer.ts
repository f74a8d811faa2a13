/**
 * Writes the engine's event stream to a JSONL file (one event per line),
 * in batches: events are buffered and appended at most every 200 ms, and
 * whatever is buffered is written by `close()` — also after Ctrl-C, so the
 * trace always ends with the final states. A result too large for one line
 * (over 64 KiB of JSON: a command's 30 MB stdout, say) goes to a file of its
 * own, `results/<uid>.json` beside the trace, which the event names
 * (`resultFile`); readers that resume load it from there.
 *
 * @module
 */
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import type { TaskEvent } from "../../mod.ts";

const FLUSH_EVERY_MS = 200;
const FLUSH_AT_BYTES = 256 * 1024;
/** The largest result kept on its trace line, in characters of JSON. */
export const MAX_INLINE_RESULT = 64 * 1024;

/**
 * A trace file being written.
 *
 * @example
 * ```ts ignore
 * import { TraceWriter } from "./trace_writer.ts";
 * const trace = new TraceWriter("run.jsonl");
 * const stop = flow.subscribe(trace.write);
 * // … run …
 * stop();
 * trace.close();
 * ```
 */
export class TraceWriter {
  /** The file's path. */
  readonly path: string;
  #fd: number | undefined;
  #buffer: string[] = [];
  #bytes = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /**
   * Creates (or truncates) the file.
   *
   * @param path Where to write.
   * @throws {Error} When the file cannot be created.
   */
  constructor(path: string) {
    this.path = path;
    this.#fd = openSync(path, "w");
  }

  /** Buffers one event; a listener for `flow.subscribe`. */
  readonly write = (event: TaskEvent): void => {
    if (this.#fd === undefined) return;
    const line = this.#serialize(event) + "\n";
    this.#buffer.push(line);
    this.#bytes += line.length;
    if (this.#bytes >= FLUSH_AT_BYTES) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), FLUSH_EVERY_MS);
  };

  /**
   * Why writing stopped (a full disk, say), or `undefined` while it goes on:
   * the run goes on without a trace rather than dying with the tasks it runs.
   */
  failure: string | undefined;

  /** Writes what is buffered. */
  flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#fd === undefined || this.#buffer.length === 0) return;
    const text = this.#buffer.join("");
    this.#buffer = [];
    this.#bytes = 0;
    try {
      writeSync(this.#fd, text);
    } catch (error) {
      const e = error as { code?: string; message?: string };
      const message = e.message ?? String(error);
      this.failure = e.code === undefined || message.includes(e.code)
        ? message
        : `${e.code}: ${message}`;
      const fd = this.#fd;
      this.#fd = undefined;
      try {
        closeSync(fd);
      } catch {
        // Already failing: the first error is the one to report.
      }
    }
  }

  /** Writes what is buffered and closes the file; later events are dropped. */
  close(): void {
    this.flush();
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  /**
   * One event as JSON. A result JSON cannot hold (a cycle, a bigint) must not
   * lose the event: it is written without the result, so that task is simply
   * run again on resume. A large result is written to its own file.
   */
  #serialize(event: TaskEvent): string {
    let line: string;
    try {
      line = JSON.stringify(event);
    } catch {
      const { result: _result, memoKey: _memoKey, ...rest } = event;
      return JSON.stringify(rest);
    }
    if (line.length <= MAX_INLINE_RESULT || event.result === undefined) return line;
    const { result, ...rest } = event;
    try {
      const dir = join(dirname(this.path), "results");
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${event.uid}.json`), JSON.stringify(result));
    } catch {
      // No room for the result: the task is simply run again on resume.
      const { memoKey: _memoKey, ...kept } = rest;
      return JSON.stringify(kept);
    }
    return JSON.stringify({ ...rest, resultFile: `results/${event.uid}.json` });
  }
}
