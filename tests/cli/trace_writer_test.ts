import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, statSync, truncateSync } from "node:fs";
import process from "node:process";
import type { TaskEvent } from "../../mod.ts";
import { TraceWriter } from "../../cli/run/trace_writer.ts";
import { readTrace } from "../../graph/trace_reader.ts";
import { fillDisk, smallDisk } from "../agent/helpers.ts";

const notRoot = process.getuid?.() !== 0 && "mounting a small tmpfs needs root";

const event = (n: number): TaskEvent => ({
  type: "created",
  time: n,
  uid: `task.${String(n).padStart(6, "0")}`,
  name: `step-${n}-${"x".repeat(80)}`,
  kind: "function",
  workflowId: "main",
});

describe("TraceWriter", () => {
  it(
    "when a write is cut short by a disk that fills, goes on with it, then stops at its last whole line and says why",
    { skip: notRoot },
    () => {
      const disk = smallDisk(256)!;
      try {
        const trace = new TraceWriter(`${disk.dir}/run.jsonl`);
        trace.write(event(1));
        trace.flush();
        const full = fillDisk(disk.dir);
        // 8 KiB left: the next flush (~25 KB) is cut short by the kernel after 8 KiB, and the
        // rest of it meets a full disk.
        const filler = `${disk.dir}/filler`;
        truncateSync(filler, statSync(filler).size - 8192);
        for (let n = 2; n <= 200; n++) trace.write(event(n));
        trace.flush();
        full.free();
        trace.write(event(201)); // dropped: the trace stopped
        trace.close();
        const text = readFileSync(trace.path, "utf8");
        assert.ok(text.endsWith("\n"), "the trace ends at a whole line");
        assert.deepEqual(readTrace(text), [event(1)], "what was written before the failed flush");
        assert.match(
          trace.failure ?? "",
          new RegExp(`cannot write ${trace.path}: its disk is full \\(ENOSPC.*free space there`),
        );
      } finally {
        disk.unmount();
      }
    },
  );
});
