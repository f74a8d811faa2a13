import type { GraphNode, TaskGraph } from "./graph_model.ts";
import { STATE_COLORS } from "./state_style.ts";

/** Options of {@linkcode toDot}. */
export interface DotOptions {
  /** Fill nodes and clusters with their state's colour. Default `true`. */
  colorByState?: boolean;
  /** The graph's name. Default `"asyncflow"`. */
  name?: string;
}

/**
 * Renders a task graph in Graphviz DOT: one `cluster` subgraph per block
 * (nested blocks nested), holding a `folder`-shaped node that stands for the
 * block itself (clusters cannot be edge ends), a node per task and an edge
 * from each dependency to its dependent. Every id and label is a quoted,
 * escaped DOT string.
 *
 * @param graph The graph from {@linkcode buildGraph}.
 * @param options Colouring and the graph's name.
 * @returns The DOT source, ending with a newline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildGraph, toDot } from "./mod.ts";
 * const base = { name: "a", kind: "function" as const, workflowId: "main" };
 * const g = buildGraph([{ ...base, type: "created", time: 1, uid: "task.000001", deps: [] }]);
 * assert.ok(toDot(g).includes('"task.000001" [label="a"'));
 * ```
 */
export function toDot(graph: TaskGraph, options: DotOptions = {}): string {
  const colorByState = options.colorByState ?? true;
  const lines = [
    `digraph ${dotString(options.name ?? "asyncflow")} {`,
    "  rankdir=TB;",
    '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="Helvetica"];',
    '  edge [color="#555555"];',
  ];
  const attrs = (node: GraphNode, shape?: string): string => {
    const parts = [`label=${dotString(node.name)}`];
    if (shape) parts.push(`shape=${shape}`);
    if (colorByState) {
      const c = STATE_COLORS[node.state];
      parts.push(`fillcolor="${c.fill}"`, `color="${c.stroke}"`, `fontcolor="${c.text}"`);
    }
    parts.push(`tooltip=${dotString(`${node.uid} ${node.state}`)}`);
    return `[${parts.join(", ")}]`;
  };
  const emit = (uid: string, depth: number): void => {
    const node = graph.byUid.get(uid)!;
    const pad = "  ".repeat(depth);
    if (node.kind !== "block") {
      lines.push(
        `${pad}${dotString(uid)} ${
          attrs(node, node.kind === "executable" ? "component" : undefined)
        };`,
      );
      return;
    }
    lines.push(`${pad}subgraph ${dotString(`cluster_${uid}`)} {`);
    lines.push(`${pad}  label=${dotString(node.name)};`);
    lines.push(`${pad}  style="rounded${colorByState ? ",filled" : ""}";`);
    if (colorByState) {
      const c = STATE_COLORS[node.state];
      lines.push(`${pad}  fillcolor="${c.fill}40"; color="${c.stroke}";`);
    }
    lines.push(`${pad}  ${dotString(uid)} ${attrs(node, "folder")};`);
    for (const child of graph.children.get(uid) ?? []) emit(child, depth + 1);
    lines.push(`${pad}}`);
  };
  for (const uid of graph.roots) emit(uid, 1);
  for (const e of graph.edges) lines.push(`  ${dotString(e.from)} -> ${dotString(e.to)};`);
  lines.push("}");
  return `${lines.join("\n")}\n`;
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
