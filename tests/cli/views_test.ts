import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { EngineStats, TaskEvent } from "../../mod.ts";
import { memoryIo } from "../../cli/io.ts";
import { ProgressView } from "../../cli/run/progress.ts";
import { TraceWriter } from "../../cli/run/trace_writer.ts";
import { ROOT, runCli, tempDir } from "./_helpers.ts";

/** Back to the line's start and erase below: how the live lines are redrawn. */
const CLEAR_BELOW = "\r\x1b[J";

let tmp: ReturnType<typeof tempDir>;
before(() => (tmp = tempDir()));
after(() => tmp.cleanup());

const event = (type: TaskEvent["type"], extra: Partial<TaskEvent> = {}): TaskEvent => ({
  type,
  time: Date.now(),
  uid: "task.000001",
  name: "step",
  kind: "executable",
  workflowId: "main",
  ...extra,
});

describe("progress", () => {
  it("on a terminal, rewrites the status line with counts, rate and elapsed", () => {
    const io = memoryIo(true);
    const stats: EngineStats = {
      created: 10,
      pending: 5,
      running: 2,
      done: 2,
      failed: 1,
      cancelled: 0,
      retried: 1,
    };
    const view = new ProgressView(io, () => stats);
    const line = view.statusLine();
    assert.match(
      line,
      /^2\/10 done · 2 running · 5 pending · 1 failed · 1 retried \| \d+\.\d tasks\/s \| 0:\d\d\.\d/,
    );
    view.onEvent(event("done")); // no log lines on a terminal
    view.finish();
    assert.ok(io.stderr.startsWith(CLEAR_BELOW), JSON.stringify(io.stderr));
    assert.match(io.stderr.slice(CLEAR_BELOW.length), /^2\/10 done .*\n$/);
  });

  it("elsewhere, prints one plain line per finished task", () => {
    const io = memoryIo(false);
    const view = new ProgressView(
      io,
      () => ({ created: 0, pending: 0, running: 0, done: 0, failed: 0, cancelled: 0, retried: 0 }),
    );
    view.onEvent(event("running", { time: 1_000 }));
    view.onEvent(event("done", { time: 1_500 }));
    view.onEvent(
      event("failed", {
        uid: "task.000002",
        error: { name: "ExecutableError", message: "exit 3" },
      }),
    );
    view.finish();
    const lines = io.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^\[0:\d\d\.\d\] done {6}step \(task\.000001\) in 0\.50s$/);
    assert.match(lines[1]!, /failed {4}step \(task\.000002\): ExecutableError: exit 3$/);
    assert.ok(!io.stderr.includes("\r"));
  });

  it("prints the frames of a task's own error under its failure, not asyncflow's", () => {
    const io = memoryIo(false);
    const view = new ProgressView(
      io,
      () => ({ created: 0, pending: 0, running: 0, done: 0, failed: 0, cancelled: 0, retried: 0 }),
    );
    const own = new URL("../../src/local_backend.ts", import.meta.url).href;
    const stack = [
      "SyntaxError: bad input",
      "    at parse (file:///home/me/tasks.ts:3:10)",
      `    at LocalBackend.run (${own}:120:5)`,
      "    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)",
    ].join("\n");
    view.onEvent(event("failed", { error: { name: "SyntaxError", message: "bad input", stack } }));
    view.finish();
    const lines = io.stderr.trimEnd().split("\n");
    assert.match(lines[0]!, /failed {4}step \(task\.000001\): SyntaxError: bad input$/);
    assert.deepEqual(lines.slice(1).map((l) => l.trim()), [
      "at parse (file:///home/me/tasks.ts:3:10)",
    ]);
  });

  it("a run on a terminal ends its progress lines and prints the summary", async () => {
    const r = await runCli(["run", join(ROOT, "examples/campaigns.yaml"), "--dry-run"], true);
    assert.equal(r.code, 0);
    // The last drawing: one line per template (the YAML ids), then the totals.
    const last = r.stderr.slice(r.stderr.lastIndexOf(CLEAR_BELOW) + CLEAR_BELOW.length);
    assert.match(
      last,
      /^campaigns \(block\) \[100%\] 3 of 3\nstep-1 +\[100%\] 12 of 12\n15\/15 done · 0 running · 0 pending .*\nok: 15 done, 0 failed, 0 cancelled in [\d.]+s \(dry run\)\n$/,
    );
  });
});

describe("trace writer", () => {
  it("writes one JSON event per line, and drops only a result JSON cannot hold", () => {
    const path = join(tmp.dir, "w.jsonl");
    const trace = new TraceWriter(path);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    trace.write(event("created"));
    trace.write(event("done", { memoKey: "k", result: cyclic, value: "[object]" }));
    trace.close();
    trace.write(event("done")); // after close: dropped, no throw
    const lines = readFileSync(path, "utf8").trimEnd().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((e) => e.type), ["created", "done"]);
    assert.equal("memoKey" in lines[1], false);
    assert.equal(lines[1].value, "[object]");
  });
});

describe("graph and report commands", () => {
  it("prints a workflow's graph as Mermaid (blocks as subgraphs) and DOT", async () => {
    const file = join(ROOT, "examples/workflow_of_campaigns.yaml");
    const mermaid = await runCli(["graph", file]);
    assert.equal(mermaid.code, 0, mermaid.stderr);
    assert.match(mermaid.stdout, /^graph TD\n/);
    assert.equal(mermaid.stdout.match(/subgraph /g)?.length, 7);
    const dot = await runCli(["graph", file, "--format", "dot"]);
    assert.match(dot.stdout, /^digraph /);
    assert.equal(dot.stdout.match(/subgraph "cluster_/g)?.length, 7);
  });

  it("colours a graph by state from a trace and writes an HTML report of it", async () => {
    const trace = join(tmp.dir, "fail.jsonl");
    const wf = join(tmp.dir, "fail.yaml");
    const r = await runCli([
      "run",
      tmp.write("fail.yaml", "tasks:\n  ok: { command: 'true' }\n  bad: { command: 'exit 1' }\n"),
      "--trace",
      trace,
      "-q",
    ]);
    assert.equal(r.code, 1);
    const graph = await runCli(["graph", wf, "--trace", trace]);
    assert.equal(graph.code, 0, graph.stderr);
    assert.match(graph.stdout, /^ {2}class task_000001 done$/m);
    assert.match(graph.stdout, /^ {2}class task_000002 failed$/m);
    const html = join(tmp.dir, "report.html");
    const report = await runCli(["report", trace, "-o", html]);
    assert.equal(report.code, 0, report.stderr);
    assert.match(readFileSync(html, "utf8"), /^<!DOCTYPE html>/);
  });
});
