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
});
