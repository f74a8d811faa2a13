import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import process from "node:process";
import { JsonlAppender, JsonlWriteError } from "../../jsonl/jsonl_appender.ts";
import { fillDisk, smallDisk } from "../agent/helpers.ts";

const notRoot = process.getuid?.() !== 0 && "mounting a small tmpfs needs root";
const tmp = () => mkdtempSync(`${tmpdir()}/asyncflow-jsonl-`);
const line = (n: number) => JSON.stringify({ n, pad: "p".repeat(100) });

/**
 * Fills the tmpfs at `dir` but for `free` bytes (whole pages): a write of more than that is cut
 * short by the kernel after `free` bytes, the next one fails with ENOSPC.
 */
function leaveFree(dir: string, free: number): { free: () => void } {
  const full = fillDisk(dir);
  truncateSync(`${dir}/filler`, statSync(`${dir}/filler`).size - free);
  return full;
}

describe("JsonlAppender", () => {
  it("writes nothing until a flush, then the buffered lines and the flush's own, in order", () => {
    const path = `${tmp()}/a.jsonl`;
    const out = JsonlAppender.open(path);
    out.add(line(1));
    out.add(line(2));
    assert.equal(readFileSync(path, "utf8"), "");
    assert.equal(out.pendingLines, 2);
    out.flush([line(3)]);
    assert.equal(out.pendingLines, 0);
    out.add(line(4));
    out.close();
    const text = readFileSync(path, "utf8");
    assert.equal(text, [1, 2, 3, 4].map(line).join("\n") + "\n");
    assert.equal(out.size, Buffer.byteLength(text));
  });

  it("appends after what the file holds, and a line torn by a crash is not glued to the next", () => {
    const path = `${tmp()}/a.jsonl`;
    writeFileSync(path, `${line(1)}\n{"n":2,"pa`);
    const out = JsonlAppender.open(path);
    out.add(line(3));
    out.close();
    const again = JsonlAppender.open(path); // ends with a line break now: nothing is added
    again.flush([line(4)]);
    again.close();
    assert.deepEqual(readFileSync(path, "utf8").split("\n"), [
      line(1),
      '{"n":2,"pa',
      line(3),
      line(4),
      "",
    ]);
  });

  it("truncates when asked, and moves its file over another, writing on there", () => {
    const dir = tmp();
    writeFileSync(`${dir}/a.jsonl`, "old\n");
    writeFileSync(`${dir}/b.jsonl`, "replaced\n");
    const out = JsonlAppender.open(`${dir}/a.jsonl`, { start: "truncate" });
    out.flush([line(1)]);
    out.moveTo(`${dir}/b.jsonl`);
    assert.equal(out.path, `${dir}/b.jsonl`);
    out.flush([line(2)]);
    out.close();
    assert.equal(readFileSync(`${dir}/b.jsonl`, "utf8"), `${line(1)}\n${line(2)}\n`);
  });

  it("refuses to write once closed, naming the file", () => {
    const path = `${tmp()}/a.jsonl`;
    const out = JsonlAppender.open(path);
    out.close();
    out.close(); // a second close does nothing
    assert.throws(() => out.flush([line(1)]), (e: unknown) => {
      assert.ok(e instanceof JsonlWriteError);
      assert.match(e.message, new RegExp(`cannot write ${path} .*it is closed`));
      return true;
    });
  });

  for (const start of ["append", "truncate"] as const) {
    it(
      `goes on after a short write and, when the disk is full, cuts the flush off whole, keeps its lines and writes them once there is space (${start})`,
      { skip: notRoot },
      () => {
        const disk = smallDisk(256)!;
        try {
          const path = `${disk.dir}/a.jsonl`;
          // Truncating too: the next write must follow the cut, not the place the failed one reached.
          const out = JsonlAppender.open(path, { start });
          out.flush([line(0)]);
          const before = readFileSync(path, "utf8");
          const full = leaveFree(disk.dir, 8192);
          // ~20 KB in one write: the kernel takes 8 KiB of it (a short write; Deno's writeSync
          // continues it itself), the rest meets a full disk.
          for (let n = 1; n <= 200; n++) out.add(line(n));
          assert.throws(() => out.flush([line(999)]), (e: unknown) => {
            assert.ok(e instanceof JsonlWriteError);
            assert.equal(e.diskFull, true);
            assert.equal(e.code, "ENOSPC");
            assert.equal(e.path, path);
            assert.match(e.message, /its disk is full .*; free space there and retry/);
            return true;
          });
          assert.equal(readFileSync(path, "utf8"), before, "nothing of the failed flush is left");
          assert.equal(out.size, Buffer.byteLength(before));
          assert.equal(out.pendingLines, 200, "the buffered lines wait for the next flush");
          full.free();
          out.close();
          const lines = readFileSync(path, "utf8").trimEnd().split("\n");
          assert.deepEqual(lines, Array.from({ length: 201 }, (_, n) => line(n)));
        } finally {
          disk.unmount();
        }
      },
    );
  }
});
