import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { TaskEvent } from "../../mod.ts";
import { buildGraph, type TaskGraph } from "../../graph/mod.ts";
import { criticalPath, renderReport } from "../../report/mod.ts";
import { nodeDuration } from "../../report/critical_path.ts";
import { FAILING_STEP, FAILURE_MESSAGE, recordCampaignTrace } from "./fixtures/campaign_trace.ts";
import { recordLargeTrace } from "./fixtures/large_trace.ts";

const count = (text: string, pattern: RegExp) => text.match(pattern)?.length ?? 0;

/** The longest chain by brute force: every path from every node. */
function bruteForceLongest(graph: TaskGraph): number {
  const end = graph.end ?? 0;
  const memo = new Map<string, number>();
  const longestFrom = (uid: string): number => {
    let best = memo.get(uid);
    if (best !== undefined) return best;
    const next = graph.edges.filter((e) => e.from === uid).map((e) => longestFrom(e.to));
    best = nodeDuration(graph.byUid.get(uid)!, end) + Math.max(0, ...next);
    memo.set(uid, best);
    return best;
  };
  return Math.max(0, ...graph.nodes.map((n) => longestFrom(n.uid)));
}

describe("renderReport()", () => {
  let events: TaskEvent[];
  let graph: TaskGraph;
  let html: string;
  before(async () => {
    events = await recordCampaignTrace();
    graph = buildGraph(events);
    html = renderReport(events, { title: "Campaigns <script>alert(1)</script>" });
  });

  it("is one self-contained page that references nothing on the network", () => {
    assert.match(html, /^<!DOCTYPE html>/);
    // Text may name files (a task's stack does); nothing may point the page at a resource.
    assert.doesNotMatch(html, /https?:\/\/|<link|\bsrc=|\bhref=|url\((?!#)/i);
    assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
  });

  it("shows the stack of a task's own error, escaped", () => {
    assert.match(html, /<details class="err-stack"><summary>stack<\/summary><pre>RangeError: /);
  });

  it("escapes the title, task names and error messages", () => {
    assert.match(html, /<title>Campaigns &lt;script&gt;alert\(1\)&lt;\/script&gt;<\/title>/);
    assert.equal(count(html, /<script/g), 2, "only the report's own two script elements");
    assert.ok(!html.includes(FAILING_STEP), "the raw name never appears");
    assert.ok(html.includes("step 3 &lt;b&gt;&quot;x&quot;&lt;/b&gt;"));
    assert.ok(html.includes("disk &lt;full&gt; &amp; &quot;quoted&quot; &lt;/script&gt;"));
    assert.ok(!html.includes(FAILURE_MESSAGE));
    const data = html.match(
      /<script type="application\/json" id="task-data">(.*?)<\/script>/s,
    )![1]!;
    assert.doesNotMatch(data, /[<>]/);
    const parsed = JSON.parse(data) as Record<string, { n: string; e?: string }>;
    assert.ok(Object.values(parsed).some((t) => t.e === `RangeError: ${FAILURE_MESSAGE}`));
  });

  it("shows the counts of the trace", () => {
    const card = (key: string) => html.match(new RegExp(`data-count="${key}"><b>([^<]*)</b>`))?.[1];
    assert.equal(card("tasks"), "13");
    assert.equal(card("blocks"), "3");
    assert.equal(card("done"), "11");
    assert.equal(card("failed"), "4");
    assert.equal(card("cancelled"), "1");
    assert.equal(card("retries"), "1");
    assert.equal(card("pending"), "0");
  });

  it("draws a Gantt bar per attempt, in a lane per backend and worker", () => {
    const attempts = graph.nodes.reduce((n, t) => n + t.runs.length, 0);
    assert.equal(count(html, /<rect class="bar /g), attempts);
    assert.equal(count(html, /class="bar o-retried/g), 1);
    assert.match(html, /data-lane="local · worker-0"/);
    assert.match(html, /data-lane="shell · process-\d"/, "commands show their process slot");
    assert.match(html, /data-lane="blocks"/);
  });

  it("draws every block as a group and every task as a box in the graph", () => {
    for (const n of graph.nodes) {
      assert.ok(
        html.includes(`<g class="node k-${n.kind}`) && html.includes(`data-uid="${n.uid}"><rect`),
        n.uid,
      );
      if (n.kind === "block") {
        assert.ok(html.includes(`data-group="${n.uid}"`), `group of ${n.uid}`);
      }
    }
    assert.doesNotMatch(html, /Graph limited/);
  });

  it("finds the longest dependency chain and marks it", () => {
    const path = criticalPath(graph);
    assert.ok(path.uids.length >= 2);
    assert.ok(Math.abs(path.durationMs - bruteForceLongest(graph)) < 1e-6);
    const sum = path.uids.reduce((s, u) => s + nodeDuration(graph.byUid.get(u)!, graph.end!), 0);
    assert.ok(Math.abs(sum - path.durationMs) < 1e-6);
    for (let i = 1; i < path.uids.length; i++) {
      assert.ok(
        graph.edges.some((e) => e.from === path.uids[i - 1] && e.to === path.uids[i]),
        "consecutive steps are edges",
      );
    }
    for (const uid of path.uids) {
      assert.match(
        html,
        new RegExp(`class="node [^"]*crit" data-uid="${uid.replace(".", "\\.")}"`),
      );
    }
    assert.equal(count(html, /<li data-uid=/g), path.uids.length);
    assert.ok(count(html, /class="edge crit"/g) >= path.uids.length - 1);
  });

  it("lists failures with their errors, original errors first", () => {
    const rows = [...html.matchAll(/<tr data-uid="([^"]+)" class="(primary|secondary)">/g)];
    const failed = graph.nodes.filter((n) => n.state === "FAILED").map((n) => n.uid);
    const failureRows = rows.slice(0, failed.length);
    assert.deepEqual(failureRows.map((r) => r[1]).sort(), failed.sort());
    assert.equal(failureRows[0]![2], "primary");
    assert.match(html, /<td class="err-name">RangeError<\/td>/);
  });

  it("renders a truncated trace and an empty one", () => {
    const half = renderReport(events.slice(0, Math.floor(events.length / 2)));
    assert.ok(
      /data-count="running"><b>[1-9]/.test(half) || /data-count="pending"><b>[1-9]/.test(half),
    );
    assert.match(half, /class="bar o-running/);
    assert.match(renderReport([]), /The trace holds no events/);
    assert.doesNotMatch(renderReport([]), /Infinity|NaN/, "an empty graph has a drawable size");
    assert.throws(() => renderReport("nope" as unknown as TaskEvent[]), /events must be an array/);
  });
});

describe("renderReport() on a large trace", () => {
  let events: TaskEvent[];
  before(async () => {
    events = await recordLargeTrace(20, 500);
  });

  it("renders 10 000 tasks in a few seconds, with the graph drawn by template and a note", () => {
    const started = performance.now();
    const html = renderReport(events, { title: "large" });
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 10_000, `rendering took ${elapsed.toFixed(0)} ms`);
    assert.ok(html.includes('data-count="tasks"><b>10000</b>'), "10 000 tasks counted");
    const note = html.match(/<p class="note">(10020 tasks[^<]*)<\/p>/)?.[1];
    assert.equal(
      note,
      "10020 tasks and blocks are more than 250 boxes: drawn by template, one box per task name in each block (&#39;name ×N&#39;); asyncflow graph draws every task.",
    );
    assert.equal(count(html, /k-block shape-group/g), 1, "the 20 campaigns are one template");
    assert.ok(html.includes(">step ×10000</text>"), "their steps are one box");
    assert.equal(count(html, /class="node /g), 2);
    assert.equal(count(html, /<rect class="bar /g), 10_020);
  });

  it("aggregates Gantt lanes into density strips above the bar limit", () => {
    const html = renderReport(events, { maxGanttBars: 1000, maxGraphNodes: 50 });
    assert.equal(count(html, /<rect class="bar /g), 0);
    assert.ok(html.includes("lane(s) are shown as density strips"), "the note on aggregation");
    assert.ok(count(html, /class="density"/g) > 0);
  });

  it("closes blocks when even the template view does not fit", () => {
    const html = renderReport(events, { maxGraphNodes: 1 });
    assert.ok(
      html.includes(
        "drawn by template, one box per task name in each block (&#39;name ×N&#39;); asyncflow graph draws every task. Graph limited to 1 boxes: 1 block(s) are shown closed",
      ),
    );
    assert.equal(count(html, /k-block shape-collapsed/g), 1);
  });
});
