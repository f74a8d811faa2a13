/**
 * Compaction reads the heads of task lines rather than parsing them (their arguments may be
 * megabytes): a finished task's line comes to the same `fin` line, an unfinished task's stays
 * as it was, byte for byte, and a closed session's lines go.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { compactFile } from "../../agent/journal_compaction.ts";

describe("journal compaction of large tasks", () => {
  it("checkpoints finished tasks and keeps unfinished ones without parsing their arguments", () => {
    const sid = "b".repeat(32);
    const gone = "c".repeat(32);
    const big = "x".repeat(300_000);
    const task = (id: string, name?: string) =>
      JSON.stringify({
        id,
        ...(name ? { name } : {}),
        kind: "function",
        fn: { module: "m", export: "f" },
        args: [big, { kind: "executable" }],
      });
    const ev = (s: string, seq: number, id: string, state: string) =>
      JSON.stringify({ t: "ev", sid: s, e: { seq, id, state, time: seq } });
    const unfinished = `{"t":"task","sid":"${sid}","n":2,"task":${task("t2")}}`;
    const lines = [
      JSON.stringify({ t: "open", sid, client: "", hb: 1000, at: 0 }),
      JSON.stringify({ t: "open", sid: gone, client: "", hb: 1000, at: 0 }),
      `{"t":"task","sid":"${sid}","n":1,"task":${task("t1", 'a "quoted" name')}}`,
      unfinished,
      `{"t":"task","sid":"${gone}","n":3,"task":${task("t3")}}`,
      ev(sid, 1, "t1", "running"),
      ev(sid, 2, "t1", "done"),
      ev(sid, 3, "t2", "running"),
      JSON.stringify({ t: "close", sid: gone }),
    ];
    const path = `${mkdtempSync(`${tmpdir()}/asyncflow-compaction-`)}/journal.jsonl`;
    writeFileSync(path, lines.join("\n") + "\n");
    compactFile(path).out!.close();
    const kept = readFileSync(path, "utf8").trim().split("\n");
    assert.equal(kept.length, 4);
    assert.equal(kept[1], unfinished);
    assert.deepEqual(JSON.parse(kept[0]!).sid, sid);
    const fin = kept.map((l) => JSON.parse(l)).find((r) => r.t === "fin");
    assert.deepEqual(fin, {
      t: "fin",
      sid,
      n: 1,
      id: "t1",
      kind: "function",
      r: { seq: 1, id: "t1", state: "running", time: 1 },
      e: { seq: 2, id: "t1", state: "done", time: 2 },
    });
    assert.equal(JSON.parse(kept[3]!).e.id, "t2");
  });
});
