import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { Journal } from "../../agent/journal.ts";

const line = (o: Record<string, unknown>) => JSON.stringify(o);
const open = (sid: string) => line({ t: "open", sid, client: "", hb: 1000, at: 0 });
const task = (sid: string, n: number) => line({ t: "task", sid, n, task: { id: `t${n}` } });
const ev = (sid: string, seq: number) =>
  line({ t: "ev", sid, e: { seq, id: "t1", state: "done" } });

describe("Journal", () => {
  it("drops closed sessions and a torn line on open, keeping live sessions' lines in order", () => {
    const path = `${mkdtempSync(`${tmpdir()}/asyncflow-journal-`)}/journal.jsonl`;
    const live = [open("B"), task("B", 1), ev("B", 1)];
    writeFileSync(
      path,
      [
        open("A"),
        task("A", 1),
        live[0],
        ev("A", 1),
        live[1],
        line({ t: "close", sid: "A" }),
        live[2],
      ]
        .join("\n") + '\n{"t":"ev","sid":"B","e":{"se',
    );
    const { journal, records } = Journal.open(path);
    assert.deepEqual(records.map((r) => `${r.t}:${r.sid}`), ["open:B", "task:B", "ev:B"]);
    journal.append(task("B", 2));
    journal.close();
    const lines = readFileSync(path, "utf8").split("\n").filter((l) => l !== "");
    assert.deepEqual(lines, [...live, task("B", 2)]);
  });

  it("compacts while running once the file has grown, and goes on appending", () => {
    const path = `${mkdtempSync(`${tmpdir()}/asyncflow-journal-`)}/journal.jsonl`;
    const { journal } = Journal.open(path);
    for (const sid of ["A", "B"]) journal.append(open(sid));
    for (let n = 0; n < 100; n++) journal.append(task("A", n));
    journal.append(line({ t: "close", sid: "A" }));
    journal.compactIfGrown(1_000_000); // not grown enough: nothing dropped
    assert.ok(readFileSync(path, "utf8").includes('"sid":"A"'));
    journal.compactIfGrown(1);
    journal.append(task("B", 1));
    journal.close();
    const records = Journal.open(path).records;
    assert.deepEqual(records.map((r) => `${r.t}:${r.sid}`), ["open:B", "task:B"]);
  });
});
