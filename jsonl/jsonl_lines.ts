/**
 * The one reader of JSONL files, line by line in bounded memory: a file (the agent's journal)
 * can outgrow the longest string a runtime can hold (~512 MiB on V8), and must still be readable.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { closeSync, fstatSync, openSync, readSync } from "node:fs";

const CHUNK = 1024 * 1024;

/**
 * Calls `onLine` with each line of the file at `path` (without its newline; empty lines skipped),
 * its number (from 1), whether it is the last (nothing but line breaks after it) and the offset
 * in bytes where it starts, reading 1 MiB at a time: memory follows the longest line, not the
 * file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeFileSync } from "node:fs";
 * import { forEachLine } from "./jsonl_lines.ts";
 * const path = `${Deno.makeTempDirSync()}/log.jsonl`;
 * writeFileSync(path, '{"a":1}\n\n{"b":2}');
 * const lines: string[] = [];
 * forEachLine(path, (line) => lines.push(line));
 * assert.deepEqual(lines, ['{"a":1}', '{"b":2}']);
 * ```
 */
export function forEachLine(
  path: string,
  onLine: (line: string, number: number, last: boolean, offset: number) => void,
): void {
  forEachLineBytes(
    path,
    (line, number, last, offset) => onLine(line.toString("utf8"), number, last, offset),
  );
}

/**
 * {@linkcode forEachLine} with each line's bytes, for a reader that decodes only what it needs of
 * a long line (valid until `onLine` returns: the buffer is reused).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeFileSync } from "node:fs";
 * import { forEachLineBytes } from "./jsonl_lines.ts";
 * const path = `${Deno.makeTempDirSync()}/log.jsonl`;
 * writeFileSync(path, '{"a":1}\n{"b":2}\n\n');
 * const seen: string[] = [];
 * forEachLineBytes(path, (line, number, last) => seen.push(`${number}:${line.length}:${last}`));
 * assert.deepEqual(seen, ["1:7:false", "2:7:true"]);
 * ```
 */
export function forEachLineBytes(
  path: string,
  onLine: (line: Buffer, number: number, last: boolean, offset: number) => void,
): void {
  const fd = openSync(path, "r");
  try {
    const end = contentEnd(fd);
    const chunk = Buffer.alloc(CHUNK);
    let rest: Buffer[] = [];
    let number = 0;
    let offset = 0; // of the chunk in the file
    let at = 0; // where the line being read starts in the file
    let read: number;
    while ((read = readSync(fd, chunk, 0, CHUNK, null)) > 0) {
      let start = 0;
      let nl: number;
      while ((nl = chunk.indexOf(10, start)) !== -1 && nl < read) {
        const piece = chunk.subarray(start, nl);
        const line = rest.length === 0 ? piece : Buffer.concat([...rest, piece]);
        rest = [];
        number++;
        if (line.length > 0) onLine(line, number, offset + nl === end, at);
        start = nl + 1;
        at = offset + start;
      }
      if (start < read) rest.push(Buffer.from(chunk.subarray(start, read)));
      offset += read;
    }
    const last = Buffer.concat(rest);
    if (last.length > 0) onLine(last, number + 1, true, at);
  } finally {
    closeSync(fd);
  }
}

/** Where the file's content ends: its size less the line breaks it ends with. */
function contentEnd(fd: number): number {
  let end = fstatSync(fd).size;
  const tail = Buffer.alloc(4096);
  while (end > 0) {
    const from = Math.max(0, end - tail.length);
    const got = readSync(fd, tail, 0, end - from, from);
    let i = got - 1;
    while (i >= 0 && tail[i] === 10) i--;
    if (i >= 0) return from + i + 1;
    end = from;
  }
  return 0;
}
