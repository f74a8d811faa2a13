/**
 * The one writer of append-only JSONL files (the agent's journal, a run's trace): lines are
 * buffered and go out in one write per flush, all of them or none of them.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import {
  closeSync,
  fstatSync,
  ftruncateSync,
  openSync,
  readSync,
  renameSync,
  writeSync,
} from "node:fs";

/**
 * Whether a write failed because the disk (or the user's quota) is full: what freeing space fixes.
 *
 * @param code The system's error code.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isDiskFull } from "./jsonl_appender.ts";
 * assert.equal(isDiskFull("EDQUOT"), true);
 * assert.equal(isDiskFull("EIO"), false);
 * ```
 */
export function isDiskFull(code: string): boolean {
  return code === "ENOSPC" || code === "EDQUOT";
}

/**
 * A write to a JSONL file that failed: nothing of it is in the file. Its message names the
 * file, the system's error and what to do; `diskFull` tells a full disk (or quota) from the rest.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { JsonlWriteError } from "./jsonl_appender.ts";
 * const e = new JsonlWriteError("/x/run.jsonl", Object.assign(new Error("no space left on device"), { code: "ENOSPC" }));
 * assert.equal(e.diskFull, true);
 * assert.match(e.message, /cannot write \/x\/run\.jsonl: its disk is full \(ENOSPC: no space/);
 * ```
 */
export class JsonlWriteError extends Error {
  override name = "JsonlWriteError";
  /** The file that could not be written. */
  readonly path: string;
  /** The system's error code (`ENOSPC`, `EIO`, …), or `unknown`. */
  readonly code: string;
  /** Whether the disk (or the user's quota) is full: freeing space is what helps. */
  readonly diskFull: boolean;

  /**
   * @param path The file.
   * @param cause The error of the failed write.
   */
  constructor(path: string, cause: unknown) {
    const code = (cause as { code?: string })?.code ?? "unknown";
    const diskFull = isDiskFull(code);
    const said = String((cause as Error)?.message ?? cause);
    const why = said.includes(code) ? said : `${code}: ${said}`;
    super(
      diskFull
        ? `cannot write ${path}: its disk is full (${why}); free space there and retry`
        : `cannot write ${path} (${why}): check the file and its disk, then retry`,
      { cause },
    );
    this.path = path;
    this.code = code;
    this.diskFull = diskFull;
  }
}

/** How {@linkcode JsonlAppender.open} opens its file. */
export interface JsonlAppenderOptions {
  /** `"append"` (the default) goes on after what the file holds; `"truncate"` empties it. */
  readonly start?: "append" | "truncate";
  /** The permissions of a file it creates. Default `0o666` (less the umask). */
  readonly mode?: number;
}

/**
 * Appends JSON lines to one file, which only it writes. {@linkcode add} buffers a line;
 * {@linkcode flush} writes what is buffered in one write: a short write is continued from where
 * it stopped, and a write that fails is cut off again, so the file holds all of the flush or
 * none of it, and the lines stay buffered for the next flush. When to flush is the caller's
 * choice (the journal within the turn, the trace every 200 ms).
 *
 * Durability is the kernel's page cache, as a `write` gives it: what a flush returned from
 * survives the process being killed (SIGKILL), not the machine losing power.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readFileSync } from "node:fs";
 * import { JsonlAppender } from "./jsonl_appender.ts";
 * const path = `${Deno.makeTempDirSync()}/log.jsonl`;
 * const out = JsonlAppender.open(path);
 * out.add('{"a":1}');
 * out.flush(['{"b":2}']);
 * out.add('{"c":3}');
 * out.close();
 * assert.equal(readFileSync(path, "utf8"), '{"a":1}\n{"b":2}\n{"c":3}\n');
 * ```
 */
export class JsonlAppender {
  #path: string;
  #fd: number | undefined;
  /** The file's size: only this appender writes to it (kept here, not asked of the kernel). */
  #size: number;
  #lines: string[] = [];
  #chars = 0;
  /** Whether the file may end inside a line, which the next write must not extend. */
  #torn: boolean;

  private constructor(fd: number, path: string) {
    this.#path = path;
    this.#fd = fd;
    this.#size = fstatSync(fd).size;
    // A file that ends inside a line (a writer killed mid-write): the next line starts anew.
    this.#torn = this.#size > 0 && !endsWithNewline(fd, this.#size);
  }

  /**
   * Opens (or creates) `path` for appending (and reading its last byte: whether it ends inside a
   * line).
   *
   * @throws {Error} The system's error (its `code`: `ENOENT`, `EACCES`, …) when the file cannot
   *   be opened.
   */
  static open(path: string, options: JsonlAppenderOptions = {}): JsonlAppender {
    // Always in append mode, truncating or not: after a failed write is cut off, the next one
    // must go where the file now ends, not where the failed one stopped (a hole of NULs). Read
    // too when appending, for the last byte; only written when truncating (a path such as
    // /dev/stdout may not be open for reading).
    const truncate = options.start === "truncate";
    const fd = openSync(path, truncate ? "a" : "a+", options.mode ?? 0o666);
    try {
      if (truncate && fstatSync(fd).size > 0) ftruncateSync(fd, 0);
      return new JsonlAppender(fd, path);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  /** The file's path. */
  get path(): string {
    return this.#path;
  }

  /**
   * Renames the file to `path` (over what is there: a rewritten file replaces the old one whole)
   * and goes on writing to it there.
   *
   * @throws {JsonlWriteError} When the rename fails; the file keeps its path.
   */
  moveTo(path: string): void {
    try {
      renameSync(this.#path, path);
    } catch (error) {
      throw new JsonlWriteError(path, error);
    }
    this.#path = path;
  }

  /** The file's size in bytes, with what has been flushed. */
  get size(): number {
    return this.#size;
  }

  /** How many lines wait for the next flush. */
  get pendingLines(): number {
    return this.#lines.length;
  }

  /** How many characters of JSON wait for the next flush (to flush by size). */
  get pendingChars(): number {
    return this.#chars;
  }

  /**
   * Buffers one line.
   *
   * @param line A JSON text without a line break.
   */
  add(line: string): void {
    this.#lines.push(line);
    this.#chars += line.length + 1;
  }

  /**
   * Writes what is buffered, then `more`, in one write, all of it or none of it.
   *
   * @param more Lines to write after the buffered ones, and only if they all are (they are not
   *   buffered when the write fails).
   * @throws {JsonlWriteError} When the write fails: the file is as it was, the buffered lines
   *   stay buffered, `more` is dropped.
   */
  flush(more: readonly string[] = []): void {
    if (this.#fd === undefined) throw new JsonlWriteError(this.path, new Error("it is closed"));
    const lines = more.length === 0 ? this.#lines : [...this.#lines, ...more];
    if (lines.length === 0) return;
    // After a torn end, a line break first: a new line must not be glued to the torn one.
    const text = (this.#torn ? "\n" : "") + lines.join("\n") + "\n";
    this.#size = this.#writeWhole(this.#fd, text);
    this.#torn = false;
    this.#lines = [];
    this.#chars = 0;
  }

  /**
   * Writes what is buffered and closes the file, also when that write fails; later calls do
   * nothing.
   *
   * @throws {JsonlWriteError} When the last write failed (the file is closed all the same).
   */
  close(): void {
    if (this.#fd === undefined) return;
    const fd = this.#fd;
    try {
      this.flush();
    } finally {
      this.#fd = undefined;
      closeSync(fd);
    }
  }

  /** Closes the file without writing what is buffered: for a writer that gives up on it. */
  drop(): void {
    if (this.#fd === undefined) return;
    const fd = this.#fd;
    this.#fd = undefined;
    this.#lines = [];
    this.#chars = 0;
    closeSync(fd);
  }

  /** @returns The file's new size. */
  #writeWhole(fd: number, text: string): number {
    // Bytes, not the string: Deno's writeSync(fd, string) did not always reach the file before
    // the process was killed right after (a journaled pid went missing), its Buffer form does.
    const data = encode(text);
    let at = 0;
    try {
      while (at < data.length) at += writeSync(fd, data, at, data.length - at);
    } catch (error) {
      try {
        // By the size, not by `at`: a runtime may write part and then throw without saying how
        // much (Deno's writeSync continues a short write itself, then throws).
        if (fstatSync(fd).size !== this.#size) ftruncateSync(fd, this.#size);
      } catch {
        this.#torn = true; // the cut-off failed too: the next write starts on a line of its own
      }
      throw new JsonlWriteError(this.path, error);
    }
    return this.#size + data.length;
  }
}

/** The bytes of a flush up to this size are encoded into one buffer, kept for the next. */
const SCRATCH_BYTES = 1024 * 1024;
/** Shared by every appender: a flush encodes and writes synchronously, so none overlap. */
let scratch: Buffer | undefined;
const encoder = new TextEncoder();

/**
 * `text` as UTF-8. Into the kept buffer when it fits: a new buffer per flush (`Buffer.from`) cost
 * twice as much on Node (encoding and writing a 256 KB flush: 276 µs, against 127 µs here and
 * 135 µs for `writeSync` of the string; on Deno 131 µs against 256 and 243; on Bun 114–131 µs
 * each; the median of 7 rounds of 400 flushes).
 */
function encode(text: string): Buffer {
  scratch ??= Buffer.allocUnsafe(SCRATCH_BYTES);
  const { read, written } = encoder.encodeInto(text, scratch);
  return read === text.length ? scratch.subarray(0, written) : Buffer.from(text);
}

function endsWithNewline(fd: number, size: number): boolean {
  const last = Buffer.alloc(1);
  try {
    return readSync(fd, last, 0, 1, size - 1) !== 1 || last[0] === 10;
  } catch {
    return true; // not readable (a device): nothing to tell, nothing to add
  }
}
