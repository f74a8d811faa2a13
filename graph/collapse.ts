import type { TaskState } from "../src/task_state.ts";
import {
  type GraphEdge,
  type GraphNode,
  localName,
  type TaskGraph,
  templateOf,
} from "./graph_model.ts";

/**
 * The graph by template, as `snakemake --rulegraph` draws rules: every task or
 * block with the same kind and template ({@linkcode templateOf}) inside the same (collapsed) block becomes
 * one node, `name ×N` when it stands for several, with `count` and the number
 * in each state (`states`). Its state is the most telling of its members':
 * failed, else running, else pending, else cancelled, else done. An edge joins
 * two templates when any member of one waited for any member of the other;
 * dependencies inside one template (a chain of steps) are not drawn.
 *
 * @param graph The graph from {@linkcode buildGraph}.
 * @returns A graph with one node per template; its uids are template paths.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildGraph, collapseGraph } from "@asyncflow/asyncflow/graph";
 * const base = { kind: "function" as const, workflowId: "main", time: 1, type: "created" as const };
 * const points = Array.from({ length: 20 }, (_, i) => ({ ...base, uid: `p${i}`, name: "point", deps: [] }));
 * const total = { ...base, uid: "sum", name: "sum", deps: points.map((p) => p.uid) };
 * const g = collapseGraph(buildGraph([...points, total]));
 * assert.deepEqual(g.nodes.map((n) => [n.name, n.count]), [["point ×20", 20], ["sum", 1]]);
 * assert.equal(g.edges.length, 1);
 * ```
 */
export function collapseGraph(graph: TaskGraph): TaskGraph {
  const keyOf = new Map<string, string>();
  const templateKey = (node: GraphNode): string => {
    const known = keyOf.get(node.uid);
    if (known !== undefined) return known;
    const parent = node.parent === undefined ? undefined : graph.byUid.get(node.parent);
    const own = `${node.kind}:${templateOf(node)}`;
    const key = parent === undefined ? own : `${templateKey(parent)}/${own}`;
    keyOf.set(node.uid, key);
    return key;
  };
  const byUid = new Map<string, GraphNode>();
  const members = new Map<string, GraphNode[]>();
  for (const node of graph.nodes) {
    const key = templateKey(node);
    const group = members.get(key);
    if (group) group.push(node);
    else members.set(key, [node]);
  }
  for (const [key, group] of members) byUid.set(key, templateNode(graph, key, group, keyOf));

  const children = new Map<string, string[]>();
  for (const n of byUid.values()) if (n.kind === "block") children.set(n.uid, []);
  const roots: string[] = [];
  for (const n of byUid.values()) {
    if (n.parent === undefined) roots.push(n.uid);
    else children.get(n.parent)!.push(n.uid);
  }
  const edges: GraphEdge[] = [];
  const seen = new Set<string>();
  for (const e of graph.edges) {
    const from = keyOf.get(e.from)!;
    const to = keyOf.get(e.to)!;
    const id = `${from}\n${to}`;
    if (from === to || seen.has(id)) continue;
    seen.add(id);
    edges.push({ from, to });
    byUid.get(to)!.deps.push(from);
  }
  return {
    nodes: [...byUid.values()],
    edges,
    byUid,
    children,
    roots,
    ...(graph.start !== undefined ? { start: graph.start } : {}),
    ...(graph.end !== undefined ? { end: graph.end } : {}),
  };
}

/** The order in which a member's state wins the template's state. */
const TELLING: readonly TaskState[] = ["FAILED", "RUNNING", "PENDING", "CANCELLED", "DONE"];

function templateNode(
  graph: TaskGraph,
  key: string,
  group: GraphNode[],
  keyOf: Map<string, string>,
): GraphNode {
  const first = group[0]!;
  const states: Partial<Record<TaskState, number>> = {};
  for (const m of group) states[m.state] = (states[m.state] ?? 0) + 1;
  const node: GraphNode = {
    uid: key,
    name: group.length > 1 ? `${templateOf(first)} ×${group.length}` : localName(graph, first),
    kind: first.kind,
    workflowId: first.workflowId,
    state: TELLING.find((s) => states[s] !== undefined)!,
    deps: [],
    attempts: group.reduce((sum, m) => sum + m.attempts, 0),
    runs: [],
    count: group.length,
    states,
  };
  if (first.parent !== undefined) node.parent = keyOf.get(first.parent)!;
  const starts = group.flatMap((m) => (m.start === undefined ? [] : [m.start]));
  // reduce, not Math.min(...), which runs out of stack for a template of 100k tasks.
  if (starts.length > 0) node.start = starts.reduce((a, b) => Math.min(a, b));
  if (group.every((m) => m.end !== undefined)) {
    node.end = group.reduce((latest, m) => Math.max(latest, m.end!), -Infinity);
  }
  return node;
}
