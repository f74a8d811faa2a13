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
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { TaskEvent } from "../../mod.ts";
import { JsonlAppender } from "../../jsonl/jsonl_appender.ts";

const FLUSH_EVERY_MS = 200;
const FLUSH_AT_BYTES = 256 * 1024;
/** The largest result kept on its trace line, in characters of JSON. */
export const MAX_INLINE_RESULT = 64 * 1024;

/**
 * A trace file being written.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readFileSync } from "node:fs";
 * import { WorkflowEngine } from "@asyncflow/asyncflow";
 * import { TraceWriter } from "./trace_writer.ts";
 * const trace = new TraceWriter(`${Deno.makeTempDirSync()}/run.jsonl`);
 * const flow = await WorkflowEngine.create();
 * const stop = flow.subscribe(trace.write);
 * await flow.functionTask(function one() { return 1; })();
 * await flow.shutdown();
 * stop();
 * trace.close();
 * const lines = readFileSync(trace.path, "utf8").trimEnd().split("\n");
 * assert.equal(JSON.parse(lines.at(-1)!).type, "done");
 * assert.equal(trace.failure, undefined);
 * ```
 */
export class TraceWriter {
  /** The file's path. */
  readonly path: string;
  /** The file, and the lines waiting for it; `undefined` once closed or failed. */
  #out: JsonlAppender | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /**
   * Creates (or truncates) the file.
   *
   * @param path Where to write.
   * @throws {Error} When the file cannot be created.
   */
  constructor(path: string) {
    this.path = path;
    this.#out = JsonlAppender.open(path, { start: "truncate" });
  }

  /** Buffers one event; a listener for `flow.subscribe`. */
  readonly write = (event: TaskEvent): void => {
    if (this.#out === undefined) return;
    this.#out.add(this.#serialize(event));
    if (this.#out.pendingChars >= FLUSH_AT_BYTES) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), FLUSH_EVERY_MS);
  };

  /**
   * Why writing stopped (a full disk, say), or `undefined` while it goes on:
   * the run goes on without a trace rather than dying with the tasks it runs.
   */
  failure: string | undefined;

  /**
   * Writes what is buffered. When that fails, the trace stops where its last whole write ended
   * (the failed one is cut off again) and {@linkcode failure} says why.
   */
  flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const out = this.#out;
    if (out === undefined || out.pendingLines === 0) return;
    try {
      out.flush();
    } catch (error) {
      this.failure = (error as Error).message;
      this.#out = undefined;
      try {
        out.drop();
      } catch {
        // Already failing: the first error is the one to report.
      }
    }
  }

  /** Writes what is buffered and closes the file; later events are dropped. */
  close(): void {
    this.flush();
    this.#out?.close(); // flushed above: nothing is left to fail
    this.#out = undefined;
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
