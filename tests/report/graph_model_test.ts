import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { TaskEvent } from "../../mod.ts";
import {
  buildGraph,
  type GraphNode,
  localName,
  type TaskGraph,
  templateOf,
} from "../../graph/mod.ts";
import { FAILING_STEP, FAILURE_MESSAGE, recordCampaignTrace } from "./fixtures/campaign_trace.ts";

/**
 * The one node called `name` inside its block (`localName`) or by its template (a block called
 * with arguments, `campaign A[A]`), in the block of that template.
 */
function byName(graph: TaskGraph, name: string, parentName?: string): GraphNode {
  const parentOf = (n: GraphNode) => graph.byUid.get(n.parent ?? "");
  const found = graph.nodes.filter((n) => {
    const parent = parentOf(n);
    return (localName(graph, n) === name || templateOf(n) === name) &&
      (parentName === undefined ||
        (parent !== undefined && templateOf(parent) === parentName));
  });
  assert.equal(
    found.length,
    1,
    `expected one node named '${name}' in '${parentName}', got ${found.length}`,
  );
  return found[0]!;
}

describe("buildGraph()", () => {
  let events: TaskEvent[];
  let graph: TaskGraph;
  before(async () => {
    events = await recordCampaignTrace();
    graph = buildGraph(events);
  });

  it("has a node per task and block, with final states", () => {
    assert.equal(graph.nodes.length, new Set(events.map((e) => e.uid)).size);
    assert.equal(byName(graph, "campaign A").state, "DONE");
    assert.equal(byName(graph, 'campaign "B"').state, "FAILED");
    assert.equal(byName(graph, FAILING_STEP).state, "FAILED");
    assert.equal(byName(graph, "step 4").state, "FAILED");
    assert.equal(byName(graph, "long simulation").state, "CANCELLED");
    assert.equal(byName(graph, "summary").state, "DONE");
    assert.equal(byName(graph, "publish").state, "FAILED");
  });

  it("nests blocks and records members in order", () => {
    const a = byName(graph, "campaign A");
    const analysis = byName(graph, "analysis");
    assert.equal(analysis.parent, a.uid);
    // Members are named under their blocks; a block called with a string carries it.
    assert.deepEqual(graph.children.get(analysis.uid)!.map((u) => graph.byUid.get(u)!.name), [
      "campaign A[A]/analysis/analyse left",
      "campaign A[A]/analysis/analyse right",
    ]);
    assert.deepEqual(
      graph.children.get(analysis.uid)!.map((u) => localName(graph, graph.byUid.get(u)!)),
      ["analyse left", "analyse right"],
    );
    assert.deepEqual(graph.roots.map((u) => graph.byUid.get(u)!.name), [
      "campaign A[A]",
      'campaign "B"[B]',
      "summary",
      "publish",
    ]);
  });

  it("has an edge from each dependency to its dependent, including blocks", () => {
    const has = (from: GraphNode, to: GraphNode) =>
      graph.edges.some((e) => e.from === from.uid && e.to === to.uid);
    assert.ok(has(byName(graph, "step 1", "campaign A"), byName(graph, "step 2", "campaign A")));
    assert.ok(has(byName(graph, "flaky fetch"), byName(graph, "analysis")));
    assert.ok(has(byName(graph, "campaign A"), byName(graph, "summary")));
    assert.ok(has(byName(graph, 'campaign "B"'), byName(graph, "publish")));
    assert.equal(graph.edges.length, new Set(graph.edges.map((e) => `${e.from}>${e.to}`)).size);
  });

  it("records attempts, retries, backends, workers and errors", () => {
    const flaky = byName(graph, "flaky fetch");
    assert.deepEqual(flaky.runs.map((r) => r.outcome), ["retried", "done"]);
    assert.equal(flaky.attempts, 2);
    assert.equal(flaky.backend, "local");
    assert.match(flaky.where ?? "", /^worker-\d$/);
    const broken = byName(graph, FAILING_STEP);
    assert.deepEqual(
      { name: broken.error?.name, message: broken.error?.message },
      { name: "RangeError", message: FAILURE_MESSAGE },
    );
    assert.match(
      broken.error?.stack ?? "",
      /campaign_trace\.ts/,
      "the stack of the task's own code",
    );
    assert.equal(byName(graph, "step 4").error?.name, "DependencyFailureError");
    assert.deepEqual(byName(graph, "step 4").runs, []);
    const slow = byName(graph, "long simulation");
    assert.equal(slow.backend, "shell");
    assert.equal(slow.error?.name, "CancelledError");
    for (const n of graph.nodes) {
      for (const r of n.runs) assert.ok(r.end! >= r.start, `${n.uid} ends before it starts`);
    }
  });

  it("keeps every prefix of the trace usable: unfinished tasks are PENDING or RUNNING", () => {
    for (let cut = 0; cut <= events.length; cut++) {
      const prefix = events.slice(0, cut);
      const g = buildGraph(prefix);
      const finals = new Map(
        prefix.filter((e) => ["done", "failed", "cancelled"].includes(e.type)).map((
          e,
        ) => [e.uid, e.type]),
      );
      for (const n of g.nodes) {
        if (finals.has(n.uid)) continue;
        const running = prefix.findLast((e) =>
          e.uid === n.uid && (e.type === "running" || e.type === "retried")
        );
        assert.equal(
          n.state,
          running?.type === "running" ? "RUNNING" : "PENDING",
          `${n.uid} at cut ${cut}`,
        );
        assert.equal(n.end, undefined);
      }
    }
  });

  it("leaves out dependencies and parents missing from the trace", () => {
    const created = events.filter((e) => e.type === "created");
    const tail = events.filter((e) => e.uid !== created[0]!.uid); // drop campaign A's events
    const g = buildGraph(tail);
    assert.ok(!g.byUid.has(created[0]!.uid));
    assert.ok(g.edges.every((e) => g.byUid.has(e.from) && g.byUid.has(e.to)));
    const orphans = created.filter((e) => e.parent === created[0]!.uid).map((e) =>
      g.byUid.get(e.uid)!
    );
    assert.ok(orphans.length > 0);
    for (const n of orphans) assert.ok(n.parent === undefined && g.roots.includes(n.uid), n.uid);
    assert.ok(!g.byUid.get(byName(graph, "summary").uid)!.deps.includes(created[0]!.uid));
    assert.ok(g.nodes.every((n) => n.parent === undefined || g.byUid.has(n.parent)));
  });

  it("builds an empty graph from no events", () => {
    const g = buildGraph([]);
    assert.equal(g.nodes.length, 0);
    assert.equal(g.start, undefined);
  });
});
