import { type GraphNode, localName, type TaskGraph } from "./graph_model.ts";
import { STATE_COLORS, STATES } from "./state_style.ts";

/** Options of {@linkcode toDot}. */
export interface DotOptions {
  /** Fill nodes and clusters with their state's colour. Default `true`. */
  colorByState?: boolean;
  /** Add a legend of the states the graph shows. Default: when `colorByState`. */
  legend?: boolean;
  /** The graph's name. Default `"asyncflow"`. */
  name?: string;
}

/**
 * Renders a task graph in Graphviz DOT: one `cluster` subgraph per block
 * (nested blocks nested), a node per task and an edge from each dependency to
 * its dependent. An edge to or from a block ends at the block's border
 * (`compound=true` with `lhead`/`ltail`, through an invisible anchor inside the
 * cluster, since a cluster cannot be an edge end itself). With colours, a
 * legend lists the states shown. Every id and label is a quoted, escaped DOT
 * string.
 *
 * @param graph The graph from {@linkcode buildGraph}, or a collapsed one from
 *   {@linkcode collapseGraph}.
 * @param options Colouring, legend and the graph's name.
 * @returns The DOT source, ending with a newline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildGraph, toDot } from "@asyncflow/asyncflow/graph";
 * const base = { kind: "function" as const, workflowId: "main" };
 * const g = buildGraph([
 *   { ...base, type: "created", time: 1, uid: "b1", name: "campaign", kind: "block", deps: [] },
 *   { ...base, type: "created", time: 2, uid: "t1", name: "after", deps: ["b1"] },
 * ]);
 * const dot = toDot(g);
 * assert.match(dot, /"b1" -> "t1" \[ltail="cluster_b1"\]/); // the arrow leaves the block's border
 * assert.match(dot, /"legend_PENDING" \[label="PENDING"/);
 * ```
 */
export function toDot(graph: TaskGraph, options: DotOptions = {}): string {
  const colorByState = options.colorByState ?? true;
  const lines = [
    `digraph ${dotString(options.name ?? "asyncflow")} {`,
    "  rankdir=TB;",
    "  compound=true;",
    '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="Helvetica"];',
    '  edge [color="#555555"];',
  ];
  const colours = (state: GraphNode["state"]): string[] => {
    const c = STATE_COLORS[state];
    return [`fillcolor="${c.fill}"`, `color="${c.stroke}"`, `fontcolor="${c.text}"`];
  };
  const attrs = (node: GraphNode): string => {
    const parts = [`label=${dotString(localName(graph, node))}`];
    if (node.kind === "executable") parts.push("shape=component");
    if (colorByState) parts.push(...colours(node.state));
    parts.push(`tooltip=${dotString(tooltip(node))}`);
    return `[${parts.join(", ")}]`;
  };
  const emit = (uid: string, depth: number): void => {
    const node = graph.byUid.get(uid)!;
    const pad = "  ".repeat(depth);
    if (node.kind !== "block") {
      lines.push(`${pad}${dotString(uid)} ${attrs(node)};`);
      return;
    }
    lines.push(`${pad}subgraph ${dotString(`cluster_${uid}`)} {`);
    lines.push(`${pad}  label=${dotString(localName(graph, node))};`);
    lines.push(`${pad}  tooltip=${dotString(tooltip(node))};`);
    lines.push(`${pad}  style="rounded${colorByState ? ",filled" : ""}";`);
    if (colorByState) {
      const c = STATE_COLORS[node.state];
      lines.push(`${pad}  fillcolor="${c.fill}40"; color="${c.stroke}";`);
    }
    lines.push(
      `${pad}  ${dotString(uid)} [shape=point, style=invis, width=0, height=0, label=""];`,
    );
    for (const child of graph.children.get(uid) ?? []) emit(child, depth + 1);
    lines.push(`${pad}}`);
  };
  for (const uid of graph.roots) emit(uid, 1);
  for (const e of graph.edges) {
    const ends: string[] = [];
    if (isBlock(graph, e.from) && !isInside(graph, e.to, e.from)) {
      ends.push(`ltail=${dotString(`cluster_${e.from}`)}`);
    }
    if (isBlock(graph, e.to) && !isInside(graph, e.from, e.to)) {
      ends.push(`lhead=${dotString(`cluster_${e.to}`)}`);
    }
    const tail = ends.length > 0 ? ` [${ends.join(", ")}]` : "";
    lines.push(`  ${dotString(e.from)} -> ${dotString(e.to)}${tail};`);
  }
  if (options.legend ?? colorByState) {
    const shown = STATES.filter((s) => graph.nodes.some((n) => n.state === s));
    lines.push('  subgraph "cluster_legend" {', '    label="states"; style="rounded";');
    for (const state of shown) {
      const parts = [`label="${state}"`, ...colours(state)];
      lines.push(`    ${dotString(`legend_${state}`)} [${parts.join(", ")}];`);
    }
    for (let i = 1; i < shown.length; i++) {
      lines.push(`    "legend_${shown[i - 1]}" -> "legend_${shown[i]}" [style=invis];`);
    }
    lines.push("  }");
  }
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

/** What a hover over a node says: its uid and state, and for a template its members. */
function tooltip(node: GraphNode): string {
  if (node.count === undefined) return `${node.uid} ${node.state}`;
  const counts = Object.entries(node.states ?? {}).map(([s, n]) => `${n} ${s}`).join(", ");
  return `${node.count} × ${node.uid}: ${counts}`;
}

function isBlock(graph: TaskGraph, uid: string): boolean {
  return graph.byUid.get(uid)?.kind === "block";
}

/** Whether `uid` lies inside `block`'s cluster (then an edge between them cannot clip at it). */
function isInside(graph: TaskGraph, uid: string, block: string): boolean {
  for (let p = graph.byUid.get(uid)?.parent; p !== undefined; p = graph.byUid.get(p)?.parent) {
    if (p === block) return true;
  }
  return false;
}

/**
 * A quoted DOT string. Backslashes are doubled so that Graphviz's escape
 * sequences (`\N`, `\G`, `\l`) in a task name stay literal text.
 */
export function dotString(text: string): string {
  const body = text
    .replace(/\\/g, "\\\\")
    .replace(/"/g, '\\"')
    .replace(/\r\n|\r|\n/g, "\\n");
  return `"${body}"`;
}
