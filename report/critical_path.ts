import type { GraphNode, TaskGraph } from "../graph/graph_model.ts";

/** The critical path of a trace and its length. */
export interface CriticalPath {
  /** Uids along the path, first dependency first. Empty for an empty graph. */
  uids: string[];
  /** The sum of the durations along the path, in ms. */
  durationMs: number;
}

/**
 * How long a node ran: from its first attempt's start to its end (or to the
 * end of the trace, if it is still running); 0 if it never ran.
 *
 * @param node The node.
 * @param traceEnd The last event's time, for unfinished nodes.
 * @returns The duration in ms.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nodeDuration } from "./critical_path.ts";
 * const node = { start: 10, end: 25 } as Parameters<typeof nodeDuration>[0];
 * assert.equal(nodeDuration(node, 30), 15);
 * ```
 */
export function nodeDuration(node: GraphNode, traceEnd: number): number {
  if (node.start === undefined) return 0;
  return Math.max(0, (node.end ?? traceEnd) - node.start);
}

/**
 * Finds the longest chain of dependencies, weighting each task and block by
 * how long it ran: the chain that bounds how fast the workflow could go.
 * Block membership is not a dependency: a block's own duration already
 * covers its members. Linear in nodes and edges; nodes on a dependency cycle
 * (only a damaged trace has one) are ignored. Ties go to the earlier node.
 *
 * @param graph The graph from `buildGraph`.
 * @returns The path and its total duration.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildGraph } from "../graph/mod.ts";
 * import { criticalPath } from "./critical_path.ts";
 * const base = { kind: "function" as const, workflowId: "main" };
 * const g = buildGraph([
 *   { ...base, type: "created", time: 0, uid: "a", name: "a", deps: [] },
 *   { ...base, type: "created", time: 0, uid: "b", name: "b", deps: ["a"] },
 *   { ...base, type: "running", time: 0, uid: "a", name: "a" },
 *   { ...base, type: "done", time: 5, uid: "a", name: "a" },
 *   { ...base, type: "running", time: 5, uid: "b", name: "b" },
 *   { ...base, type: "done", time: 9, uid: "b", name: "b" },
 * ]);
 * assert.equal(criticalPath(g).uids.join(), "a,b");
 * ```
 */
export function criticalPath(graph: TaskGraph): CriticalPath {
  const traceEnd = graph.end ?? 0;
  const index = new Map<string, number>();
  graph.nodes.forEach((n, i) => index.set(n.uid, i));
  const count = graph.nodes.length;
  const indegree = new Int32Array(count);
  const out: number[][] = Array.from({ length: count }, () => []);
  for (const e of graph.edges) {
    const from = index.get(e.from)!;
    const to = index.get(e.to)!;
    out[from]!.push(to);
    indegree[to]!++;
  }
  const best = new Float64Array(count); // longest path ending at i, including i
  const previous = new Int32Array(count).fill(-1);
  const ready: number[] = [];
  for (let i = 0; i < count; i++) {
    best[i] = nodeDuration(graph.nodes[i]!, traceEnd);
    if (indegree[i] === 0) ready.push(i);
  }
  let end = -1;
  for (let head = 0; head < ready.length; head++) {
    const i = ready[head]!;
    if (end < 0 || best[i]! > best[end]! || (best[i] === best[end] && i < end)) end = i;
    for (const j of out[i]!) {
      const through = best[i]! + nodeDuration(graph.nodes[j]!, traceEnd);
      if (previous[j]! < 0 || through > best[j]!) {
        best[j] = through;
        previous[j] = i;
      }
      if (--indegree[j]! === 0) ready.push(j);
    }
  }
  const uids: string[] = [];
  for (let i = end; i >= 0; i = previous[i]!) uids.push(graph.nodes[i]!.uid);
  return { uids: uids.reverse(), durationMs: end >= 0 ? best[end]! : 0 };
}
