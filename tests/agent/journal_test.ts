import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { closeSync, mkdtempSync, openSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import process from "node:process";
import { AgentLog } from "../../agent/agent_log.ts";
import { Journal, JournalWriteError } from "../../agent/journal.ts";
import { fillDisk, smallDisk } from "./helpers.ts";

const notRoot = process.getuid?.() !== 0 && "mounting a small tmpfs needs root";

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

  it("cuts a torn last line from a file it does not rewrite, so no line is glued to it or left behind it", () => {
    const path = `${mkdtempSync(`${tmpdir()}/asyncflow-journal-`)}/journal.jsonl`;
    const live = [open("B"), task("B", 1)];
    writeFileSync(path, live.join("\n") + '\n{"t":"task","sid":"B","n":2,"ta');
    const first = Journal.open(path);
    assert.deepEqual(first.records.map((r) => `${r.t}:${r.sid}`), ["open:B", "task:B"]);
    first.journal.commit([task("B", 3)]);
    first.journal.close();
    assert.deepEqual(readFileSync(path, "utf8"), [...live, task("B", 3)].join("\n") + "\n");
    const said: string[] = [];
    const again = Journal.open(path, new AgentLog({ stderr: (l) => said.push(l) }));
    again.journal.close();
    assert.equal(again.records.length, 3);
    assert.deepEqual(said, [], "no damage: the torn line was the last and is gone");
  });

  it("skips a line before the last that is not JSON, and says so", () => {
    const path = `${mkdtempSync(`${tmpdir()}/asyncflow-journal-`)}/journal.jsonl`;
    writeFileSync(path, [open("B"), "{damaged", task("B", 1)].join("\n") + "\n");
    const said: string[] = [];
    const { journal, records } = Journal.open(path, new AgentLog({ stderr: (l) => said.push(l) }));
    journal.close();
    assert.deepEqual(records.map((r) => r.t), ["open", "task"]);
    assert.equal(said.length, 1);
    assert.match(
      said[0]!,
      /skipped journal lines that are not JSON .*lines=1 .*journal line 2 is not valid JSON/,
    );
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

  it("waits for the journal to grow by what the last compaction kept, so rewrites stay a share of what is written", () => {
    const path = `${mkdtempSync(`${tmpdir()}/asyncflow-journal-`)}/journal.jsonl`;
    const first = Journal.open(path).journal;
    first.commit([open("B"), ...Array.from({ length: 100 }, (_, n) => task("B", n))]);
    first.close();
    const { journal } = Journal.open(path); // keeps all of B: the next rewrite waits for as much
    const kept = statSync(path).size;
    journal.commit([open("A"), line({ t: "close", sid: "A" })]);
    journal.compactIfGrown(1);
    assert.ok(readFileSync(path, "utf8").includes('"sid":"A"'), "grown by less than it kept");
    while (statSync(path).size < 2 * kept) journal.commit([task("B", 1000)]);
    journal.compactIfGrown(1);
    assert.ok(!readFileSync(path, "utf8").includes('"sid":"A"'), "grown by as much: compacted");
    journal.close();
  });

  it(
    "on a full disk, writes a batch wholly or not at all, keeps buffered lines, and writes them once there is space",
    {
      skip: notRoot,
    },
    () => {
      const disk = smallDisk(256)!;
      try {
        const path = `${disk.dir}/journal.jsonl`;
        const { journal } = Journal.open(path);
        journal.commit([open("A")]);
        const full = fillDisk(disk.dir);
        const size = statSync(path).size;
        // More than a page: a full tmpfs still takes a few bytes into the last page's slack.
        const events = Array.from({ length: 100 }, (_, i) => ev("A", i + 1));
        for (const e of events) journal.append(e);
        assert.equal(journal.flush(), false, "a buffered flush reports the failure, never throws");
        assert.match(journal.failure ?? "", /disk is full/);
        const big = Array.from({ length: 200 }, (_, n) => task("A", n + 1));
        assert.throws(() => journal.commit(big), (e: unknown) => {
          assert.ok(e instanceof JournalWriteError);
          assert.equal(e.status, 507);
          assert.match(e.message, /ENOSPC|no space/i);
          return true;
        });
        assert.equal(statSync(path).size, size, "nothing of the failed batch is in the file");
        full.free();
        journal.commit([task("A", 999)]);
        assert.equal(journal.failure, undefined);
        journal.close();
        const lines = readFileSync(path, "utf8").split("\n").filter((l) => l !== "");
        assert.deepEqual(lines, [open("A"), ...events, task("A", 999)]);
      } finally {
        disk.unmount();
      }
    },
  );

  it(
    "after a compaction, a write that failed on a full disk leaves no hole before the next one",
    { skip: notRoot },
    () => {
      const disk = smallDisk(256)!;
      try {
        const path = `${disk.dir}/journal.jsonl`;
        writeFileSync(
          path,
          [open("A"), line({ t: "close", sid: "A" }), open("B")].join("\n") + "\n",
        );
        const { journal } = Journal.open(path); // rewritten: the journal writes to the new file
        const full = fillDisk(disk.dir);
        const big = Array.from({ length: 200 }, (_, n) => task("B", n + 1));
        assert.throws(() => journal.commit(big), JournalWriteError);
        full.free();
        journal.commit([task("B", 999)]);
        journal.close();
        const text = readFileSync(path, "utf8");
        assert.ok(!text.includes("\0"), "no NUL bytes where the failed write was cut off");
        assert.deepEqual(text.split("\n").filter((l) => l !== ""), [open("B"), task("B", 999)]);
      } finally {
        disk.unmount();
      }
    },
  );

  it(
    "keeps writing to its own file when a compaction fails on a full disk",
    { skip: notRoot },
    () => {
      const disk = smallDisk(256)!;
      try {
        const path = `${disk.dir}/journal.jsonl`;
        const { journal } = Journal.open(path);
        journal.commit([
          open("A"),
          open("B"),
          ...Array.from({ length: 200 }, (_, n) => task("A", n)),
        ]);
        journal.commit([line({ t: "close", sid: "A" })]);
        const full = fillDisk(disk.dir);
        journal.compactIfGrown(1); // the rewrite cannot be written: logged, the journal goes on
        full.free();
        // A file opened now takes the lowest free descriptor: the journal's, had it been closed.
        const otherPath = `${disk.dir}/other`;
        const other = openSync(otherPath, "w");
        try {
          journal.commit([task("B", 1)]);
        } finally {
          closeSync(other);
        }
        assert.equal(readFileSync(otherPath, "utf8"), "", "nothing was written to another file");
        journal.compactIfGrown(1); // with space, the compaction happens
        journal.commit([task("B", 2)]);
        journal.close();
        const lines = readFileSync(path, "utf8").split("\n").filter((l) => l !== "");
        assert.deepEqual(lines, [open("B"), task("B", 1), task("B", 2)]);
      } finally {
        disk.unmount();
      }
    },
  );

  // A journal larger than the longest string a runtime can hold (~512 MiB on V8): writes
  // ~600 MiB, so it runs only with ASYNCFLOW_HEAVY_TESTS=1.
  it("opens a journal larger than the longest string", {
    skip: process.env.ASYNCFLOW_HEAVY_TESTS !== "1" && "set ASYNCFLOW_HEAVY_TESTS=1 to run it",
  }, () => {
    const path = `${mkdtempSync(`${tmpdir()}/asyncflow-journal-`)}/journal.jsonl`;
    const fd = openSync(path, "w");
    const filler = "y".repeat(1024 * 1024);
    const big = (n: number) => line({ t: "task", sid: "B", n, task: { id: `t${n}`, pad: filler } });
    try {
      writeFileSync(fd, open("B") + "\n");
      for (let n = 1; n <= 600; n++) writeFileSync(fd, big(n) + "\n");
    } finally {
      closeSync(fd);
    }
    const { journal, records } = Journal.open(path);
    journal.close();
    assert.equal(records.length, 601);
    assert.equal((records[600] as { n: number }).n, 600);
  });
});
