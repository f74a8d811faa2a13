import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { forEachLine } from "../../jsonl/jsonl_lines.ts";

describe("forEachLine", () => {
  it("reads lines longer than its read buffer and a file without a last newline", () => {
    const path = `${mkdtempSync(`${tmpdir()}/asyncflow-jsonl-`)}/lines`;
    const long = "x".repeat(3 * 1024 * 1024 + 17);
    writeFileSync(path, `a\n\n${long}\né\nlast`);
    const seen: string[] = [];
    forEachLine(path, (l) => seen.push(l));
    assert.deepEqual(seen.map((l) => l.length), [1, long.length, 1, 4]);
    assert.deepEqual([seen[0], seen[2], seen[3]], ["a", "é", "last"]);
  });

  it("numbers lines from 1, says which is the last and where each starts, across reads", () => {
    const path = `${mkdtempSync(`${tmpdir()}/asyncflow-jsonl-`)}/lines`;
    const long = "y".repeat(1024 * 1024 + 5); // crosses the 1 MiB read
    writeFileSync(path, `a\n\n${long}\nb\n\n\n`);
    const seen: [number, number, boolean, number][] = [];
    forEachLine(path, (l, number, last, offset) => seen.push([l.length, number, last, offset]));
    assert.deepEqual(seen, [
      [1, 1, false, 0],
      [long.length, 3, false, 3],
      [1, 4, true, 3 + long.length + 1],
    ]);
  });
});
