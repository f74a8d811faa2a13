/**
 * The one reader of JSONL files, line by line in bounded memory: a file (the agent's journal)
 * can outgrow the longest string a runtime can hold (~512 MiB on V8), and must still be readable.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { closeSync, openSync, readSync } from "node:fs";

const CHUNK = 1024 * 1024;

/**
 * Calls `onLine` with each line of the file at `path` (without its newline; empty lines skipped),
 * reading 1 MiB at a time: memory follows the longest line, not the file.
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
export function forEachLine(path: string, onLine: (line: string) => void): void {
  forEachLineBytes(path, (line) => onLine(line.toString("utf8")));
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
 * writeFileSync(path, '{"a":1}\n{"b":2}\n');
 * const sizes: number[] = [];
 * forEachLineBytes(path, (line) => sizes.push(line.length));
 * assert.deepEqual(sizes, [7, 7]);
 * ```
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
