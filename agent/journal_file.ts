/**
 * The journal's file operations: whole writes (a short write is continued, a failed one is
 * undone), and reading line by line in bounded memory — a journal can outgrow the longest
 * string a runtime can hold (~512 MiB on V8), and must still be readable by a restarted agent.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { closeSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from "node:fs";

/**
 * A journal write that failed: nothing of it is in the file. `status` is what the agent answers
 * the request that needed the write: 507 when the disk is full, 503 otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { JournalWriteError } from "./journal_file.ts";
 * const e = new JournalWriteError("/x/journal.jsonl", Object.assign(new Error("no space"), { code: "ENOSPC" }));
 * assert.equal(e.status, 507);
 * ```
 */
export class JournalWriteError extends Error {
  override name = "JournalWriteError";
  /** 507 (insufficient storage) for a full disk or quota, else 503. */
  readonly status: 503 | 507;
  /** The system's error code (`ENOSPC`, `EIO`, …), or `unknown`. */
  readonly code: string;

  /**
   * @param path The journal file.
   * @param cause The error of the failed write.
   */
  constructor(path: string, cause: unknown) {
    const code = (cause as { code?: string })?.code ?? "unknown";
    const full = code === "ENOSPC" || code === "EDQUOT";
    super(
      `the agent cannot write its journal ${path} (${(cause as Error)?.message ?? cause}): ` +
        (full
          ? "its disk is full; free space there (or restart the agent with --dir on a larger disk) and retry"
          : "retry later; if it persists, restart the agent"),
      { cause },
    );
    this.status = full ? 507 : 503;
    this.code = code;
  }
}

/**
 * Appends all of `text` to the file open (in append mode) at `fd`, whose size is `size`: a
 * short write goes on from where it stopped; a failed one is cut off again (`ftruncate` to
 * `size`), so the file holds all of it or none of it.
 *
 * @returns The file's new size.
 * @throws {JournalWriteError} When the write fails; the file is as it was.
 */
export function writeWhole(fd: number, path: string, text: string, size: number): number {
  // Bytes, not the string: Deno's writeSync(fd, string) did not always reach the file before
  // the process was killed right after (a journaled pid went missing), its Buffer form does.
  const data = Buffer.from(text);
  let at = 0;
  try {
    while (at < data.length) at += writeSync(fd, data, at, data.length - at);
  } catch (error) {
    try {
      // By the size, not by `at`: a runtime may write part and then throw without saying how much.
      if (fstatSync(fd).size !== size) ftruncateSync(fd, size);
    } catch { /* the cut-off failed too: a torn line, which a reader skips */ }
    throw new JournalWriteError(path, error);
  }
  return size + data.length;
}

const CHUNK = 1024 * 1024;

/**
 * Calls `onLine` with each line of the file at `path` (without its newline; empty lines skipped),
 * reading 1 MiB at a time: memory follows the longest line, not the file.
 */
export function forEachLine(path: string, onLine: (line: string) => void): void {
  forEachLineBytes(path, (line) => onLine(line.toString("utf8")));
}

/**
 * {@linkcode forEachLine} with each line's bytes, for a reader that decodes only what it needs of
 * a long line (valid until `onLine` returns: the buffer is reused).
 */
export function forEachLineBytes(path: string, onLine: (line: Buffer) => void): void {
  const fd = openSync(path, "r");
  try {
    const chunk = Buffer.alloc(CHUNK);
    let rest: Buffer[] = [];
    let read: number;
    while ((read = readSync(fd, chunk, 0, CHUNK, null)) > 0) {
      let start = 0;
      let nl: number;
      while ((nl = chunk.indexOf(10, start)) !== -1 && nl < read) {
        const piece = chunk.subarray(start, nl);
        const line = rest.length === 0 ? piece : Buffer.concat([...rest, piece]);
        rest = [];
        if (line.length > 0) onLine(line);
        start = nl + 1;
      }
      if (start < read) rest.push(Buffer.from(chunk.subarray(start, read)));
    }
    const last = Buffer.concat(rest);
    if (last.length > 0) onLine(last);
  } finally {
    closeSync(fd);
  }
}
