import type { GraphEdge, TaskGraph } from "../graph/graph_model.ts";

/** A node of the drawn graph: a task, an opened block (a group) or a closed block (one box). */
export interface ViewItem {
  /** The task's or block's uid. */
  uid: string;
  /** How it is drawn. */
  shape: "task" | "group" | "collapsed";
  /** The uid of the group it is drawn inside. */
  group?: string;
  /** For a closed block, how many tasks and blocks it holds, at any depth. */
  hidden?: number;
}

/** What the graph view draws: a subset of the graph when it is too big. */
export interface GraphViewModel {
  /** Items in drawing order (a group before its members). */
  items: ViewItem[];
  /** Dependency edges between visible items, lifted from hidden members to their closed block. */
  edges: GraphEdge[];
  /** Why the view is partial, if it is. */
  note?: string;
}

/**
 * Chooses what the graph view shows within `maxNodes` boxes. Blocks are
 * opened breadth first, in trace order, while their members still fit;
 * blocks that do not fit are drawn closed, as one box with a count. When even
 * the top level does not fit, the first `maxNodes` top-level items are shown.
 *
 * @param graph The graph from `buildGraph`.
 * @param maxNodes The most boxes to lay out (layout time grows faster than linearly).
 * @returns The items, edges and a note when something is hidden.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildGraph } from "../graph/mod.ts";
 * import { chooseGraphView } from "./graph_view.ts";
 * assert.equal(chooseGraphView(buildGraph([]), 10).items.length, 0);
 * ```
 */
export function chooseGraphView(graph: TaskGraph, maxNodes: number): GraphViewModel {
  const size = new Map<string, number>(); // members at any depth
  const sizeOf = (uid: string): number => {
    let s = size.get(uid);
    if (s === undefined) {
      s = 0;
      for (const c of graph.children.get(uid) ?? []) s += 1 + sizeOf(c);
      size.set(uid, s);
    }
    return s;
  };
  const truncated = graph.roots.length > maxNodes;
  const roots = truncated ? graph.roots.slice(0, maxNodes) : graph.roots;
  let note = truncated
    ? `Graph limited to the first ${maxNodes} of ${graph.roots.length} top-level tasks and blocks (${graph.nodes.length} in all); blocks are shown closed.`
    : undefined;
  const open = new Set<string>();
  let used = roots.length;
  const queue = truncated ? [] : roots.filter((uid) => graph.children.has(uid));
  for (let head = 0; head < queue.length; head++) {
    const members = graph.children.get(queue[head]!)!;
    if (used + members.length > maxNodes) continue;
    open.add(queue[head]!);
    used += members.length;
    for (const m of members) if (graph.children.has(m)) queue.push(m);
  }
  const items: ViewItem[] = [];
  const visible = new Set<string>();
  const add = (uid: string, group: string | undefined): void => {
    const isBlock = graph.children.has(uid);
    const shape = !isBlock ? "task" : open.has(uid) ? "group" : "collapsed";
    const item: ViewItem = { uid, shape };
    if (group !== undefined) item.group = group;
    if (shape === "collapsed") item.hidden = sizeOf(uid);
    items.push(item);
    visible.add(uid);
    if (shape === "group") { for (const m of graph.children.get(uid)!) add(m, uid); }
  };
  for (const uid of roots) add(uid, undefined);
  const closedCount = items.filter((i) => i.shape === "collapsed" && i.hidden! > 0).length;
  if (note === undefined && closedCount > 0) {
    note =
      `Graph limited to ${maxNodes} boxes: ${closedCount} block(s) are shown closed, with their member count (${graph.nodes.length} tasks and blocks in all).`;
  }
  // Lift each edge to the nearest visible ancestor of each end.
  const lifted = new Map<string, string | undefined>();
  const visibleOf = (uid: string): string | undefined => {
    if (lifted.has(uid)) return lifted.get(uid);
    let u: string | undefined = uid;
    while (u !== undefined && !visible.has(u)) u = graph.byUid.get(u)?.parent;
    lifted.set(uid, u);
    return u;
  };
  const edges: GraphEdge[] = [];
  const seen = new Set<string>();
  for (const e of graph.edges) {
    const from = visibleOf(e.from);
    const to = visibleOf(e.to);
    if (from === undefined || to === undefined || from === to) continue;
    const key = `${from}\u0000${to}`;
    if (seen.has(key)) continue;
    seen.add(key);
    edges.push({ from, to });
  }
  return note === undefined ? { items, edges } : { items, edges, note };
}
