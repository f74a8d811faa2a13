import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { before, describe, it } from "node:test";
import { type TaskEvent, WorkflowEngine } from "../../mod.ts";
import { buildGraph, collapseGraph, type TaskGraph, toDot, toMermaid } from "../../graph/mod.ts";
import { recordCampaignTrace } from "./fixtures/campaign_trace.ts";

/** Graphviz's `dot`, when the set-up installed it. */
const graphviz = spawnSync("dot", ["-V"]).status === 0;
const NO_GRAPHVIZ = "Graphviz 'dot' is not installed (scripts/setup.sh installs it as root)";

/** Runs a sweep for real: 20 points in a block, each a function then a command, then a sum. */
async function sweepTrace(failPoint?: number): Promise<TaskEvent[]> {
  const events: TaskEvent[] = [];
  await using flow = await WorkflowEngine.create({ uid: "sweep" });
  flow.subscribe((e) => events.push(e));
  const point = flow.functionTask(function point(i: number) {
    if (i === failPoint) throw new Error(`point ${i} diverged`);
    return i * i;
  });
  const generate = flow.executableTask(function generate(v: number) {
    return ["echo", String(v)];
  });
  const sum = flow.functionTask(function sum(...values: string[]) {
    return values.reduce((a, v) => a + Number(v), 0);
  });
  const sweep = flow.block(async function sweep() {
    return await sum(...Array.from({ length: 20 }, (_, i) => generate(point(i))));
  });
  await sweep().catch(() => undefined);
  return events;
}

/** The box of a cluster, `[x1, y1, x2, y2]`, and the end points of edges, from `dot -Tjson`. */
function layout(dot: string) {
  const run = spawnSync("dot", ["-Tjson"], { input: dot, encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stderr, "", "Graphviz warns about nothing");
  const json = JSON.parse(run.stdout) as {
    objects: { _gvid: number; name: string; bb?: string }[];
    edges?: { tail: number; head: number; pos: string; lhead?: string; ltail?: string }[];
  };
  const boxes = new Map<string, number[]>();
  for (const o of json.objects) if (o.bb) boxes.set(o.name, o.bb.split(",").map(Number));
  return { boxes, edges: json.edges ?? [] };
}

/** Distance from point (x, y) to the border of box [x1, y1, x2, y2]. */
function toBorder([x1, y1, x2, y2]: number[], x: number, y: number): number {
  const dx = Math.min(Math.abs(x - x1!), Math.abs(x - x2!));
  const dy = Math.min(Math.abs(y - y1!), Math.abs(y - y2!));
  const insideX = x >= x1! - 1 && x <= x2! + 1;
  const insideY = y >= y1! - 1 && y <= y2! + 1;
  if (insideX && insideY) return Math.min(dx, dy);
  return Infinity;
}

describe("the graph views", () => {
  let campaign: TaskGraph;
  before(async () => (campaign = buildGraph(await recordCampaignTrace())));

  it("draw an edge to or from a block to the block's border in DOT", {
    skip: graphviz ? false : NO_GRAPHVIZ,
  }, () => {
    const blockEdges = campaign.edges.filter((e) =>
      campaign.byUid.get(e.from)?.kind === "block" || campaign.byUid.get(e.to)?.kind === "block"
    );
    assert.ok(blockEdges.length >= 2, "the campaign has edges between blocks and tasks");
    const { boxes, edges } = layout(toDot(campaign));
    const clipped = edges.filter((e) => e.lhead || e.ltail);
    assert.equal(clipped.length, blockEdges.length);
    for (const e of clipped) {
      // pos: "[s,x,y ][e,x,y ]x,y x,y …": the arrow's tip (e,) touches the head's cluster; the
      // curve's first point touches the tail's cluster.
      const points = e.pos.split(" ");
      const tip = points.find((p) => p.startsWith("e,"))?.slice(2).split(",").map(Number);
      const first = points.find((p) => !p.startsWith("e,") && !p.startsWith("s,"))!
        .split(",").map(Number);
      if (e.lhead) assert.ok(toBorder(boxes.get(e.lhead)!, tip![0]!, tip![1]!) < 3, e.lhead);
      if (e.ltail) assert.ok(toBorder(boxes.get(e.ltail)!, first[0]!, first[1]!) < 3, e.ltail);
    }
  });

  it("add a legend of the states shown, and none without colours", () => {
    const dot = toDot(campaign);
    for (const state of new Set(campaign.nodes.map((n) => n.state))) {
      assert.match(dot, new RegExp(`"legend_${state}" \\[label="${state}"`));
    }
    assert.doesNotMatch(dot, /legend_RUNNING/, "no task of the trace is still running");
    const mermaid = toMermaid(campaign);
    assert.match(mermaid, /^ {2}subgraph n__legend \["states"\]$/m);
    assert.match(mermaid, /^ {4}n__legend_FAILED\["FAILED"\]$/m);
    assert.match(mermaid, /^ {2}class n__legend_FAILED failed$/m);
    assert.doesNotMatch(toDot(campaign, { colorByState: false }), /legend/);
    assert.doesNotMatch(toMermaid(campaign, { colorByState: false }), /legend/);
  });

  it("collapse 20 sweep points into one node per template, edges between templates", async () => {
    const graph = collapseGraph(buildGraph(await sweepTrace()));
    const names = graph.nodes.map((n) => [n.name, n.kind, n.count, n.state]);
    assert.deepEqual(names, [
      ["sweep", "block", 1, "DONE"],
      ["point ×20", "function", 20, "DONE"],
      ["generate ×20", "executable", 20, "DONE"],
      ["sum", "function", 1, "DONE"],
    ]);
    assert.deepEqual(graph.children.get("block:sweep"), [
      "block:sweep/function:point",
      "block:sweep/executable:generate",
      "block:sweep/function:sum",
    ]);
    assert.deepEqual(graph.edges.map((e) => `${e.from} -> ${e.to}`), [
      "block:sweep/function:point -> block:sweep/executable:generate",
      "block:sweep/executable:generate -> block:sweep/function:sum",
    ]);
    assert.match(toDot(graph), /"point ×20"/);
    assert.match(toMermaid(graph), /\["point ×20"\]/);
  });

  it("give a template the most telling state of its members, and count each state", async () => {
    const graph = collapseGraph(buildGraph(await sweepTrace(7)));
    const point = graph.byUid.get("block:sweep/function:point")!;
    assert.equal(point.state, "FAILED");
    assert.deepEqual(point.states, { DONE: 19, FAILED: 1 });
    // generate(point(7)) fails with its dependency; the failed block cancels what still runs.
    const generate = graph.byUid.get("block:sweep/executable:generate")!;
    assert.equal(generate.state, "FAILED");
    assert.equal(generate.states?.FAILED, 1);
    const counted = Object.values(generate.states ?? {}).reduce((a, n) => a + n, 0);
    assert.equal(counted, 20);
    assert.equal(graph.byUid.get("block:sweep")!.state, "FAILED");
    assert.match(toDot(graph), /tooltip="20 × block:sweep\/function:point: 19 DONE, 1 FAILED"/);
  });

  it("keep the DOT of a collapsed graph valid for Graphviz", {
    skip: graphviz ? false : NO_GRAPHVIZ,
  }, () => {
    const { edges } = layout(toDot(collapseGraph(campaign)));
    assert.ok(edges.length > 0);
  });
});
