/**
 * The beginning and end of an output file, bounded: `show` never reads a 30 MB stdout whole.
 *
 * @module
 */
import { closeSync, openSync, readSync, statSync } from "node:fs";

/** How much of each end of a file is shown. */
export const EXCERPT_BYTES = 1024;

/** An output file, as `show` shows it. */
export interface OutputExcerpt {
  /** The file. */
  path: string;
  /** Its size in bytes. */
  bytes: number;
  /** Its beginning: all of it when it is small. */
  head: string;
  /** Its end, when the file is larger than both ends together. */
  tail?: string;
  /** How many bytes lie between `head` and `tail`. */
  omittedBytes?: number;
  /** Why it cannot be read (removed, say). */
  error?: string;
}

/**
 * Reads the two ends of `path`.
 *
 * @param path The file.
 * @param ends How many bytes of each end. Default {@linkcode EXCERPT_BYTES}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { outputExcerpt } from "./output_excerpt.ts";
 * const e = outputExcerpt("deno.json", 2);
 * assert.equal(e.head, "{\n");
 * assert.equal(e.omittedBytes, e.bytes - 4);
 * ```
 */
export function outputExcerpt(path: string, ends = EXCERPT_BYTES): OutputExcerpt {
  let fd: number;
  let bytes: number;
  try {
    bytes = statSync(path).size;
    fd = openSync(path, "r");
  } catch (error) {
    const code = (error as { code?: string }).code ?? String(error);
    return { path, bytes: 0, head: "", error: `cannot read it: ${code}` };
  }
  try {
    const read = (at: number, length: number) => {
      const buffer = new Uint8Array(length);
      const n = readSync(fd, buffer, 0, length, at);
      return new TextDecoder().decode(buffer.subarray(0, n));
    };
    if (bytes <= 2 * ends) return { path, bytes, head: read(0, bytes) };
    return {
      path,
      bytes,
      head: read(0, ends),
      tail: read(bytes - ends, ends),
      omittedBytes: bytes - 2 * ends,
    };
  } finally {
    closeSync(fd);
  }
}
