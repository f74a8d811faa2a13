import type { TaskState } from "../src/task_state.ts";
import { uniqueIds } from "./_ids.ts";
import type { GraphNode, TaskGraph } from "./graph_model.ts";
import { STATE_COLORS, STATES } from "./state_style.ts";

/** Options of {@linkcode toMermaid}. */
export interface MermaidOptions {
  /** Colour nodes and blocks by their final state (a `classDef` per state). Default `true`. */
  colorByState?: boolean;
  /** The flowchart direction. Default `"TD"`. */
  direction?: "TD" | "LR";
}

/** Words Mermaid's flowchart parser takes as keywords, never as node ids. */
const RESERVED = new Set([
  "end",
  "graph",
  "flowchart",
  "subgraph",
  "style",
  "class",
  "classdef",
  "click",
  "linkstyle",
  "default",
  "direction",
]);

/**
 * Renders a task graph as a Mermaid flowchart: one `subgraph` per block
 * (nested blocks nested), a node per task, an edge from each dependency to
 * its dependent, and a `classDef` per state. Ids are derived from uids with
 * every character outside `[A-Za-z0-9_]` replaced; labels are quoted, with
 * quotes, brackets and markup written as Mermaid entity codes.
 *
 * @param graph The graph from {@linkcode buildGraph}.
 * @param options Colouring and direction.
 * @returns The diagram source, ending with a newline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildGraph, toMermaid } from "./mod.ts";
 * const base = { name: "a", kind: "function" as const, workflowId: "main" };
 * const g = buildGraph([{ ...base, type: "created", time: 1, uid: "task.000001", deps: [] }]);
 * assert.ok(toMermaid(g).includes('task_000001["a"]'));
 * ```
 */
export function toMermaid(graph: TaskGraph, options: MermaidOptions = {}): string {
  const colorByState = options.colorByState ?? true;
  const ids = uniqueIds(graph.nodes.map((n) => n.uid), mermaidId);
  const lines = [`graph ${options.direction ?? "TD"}`];
  const emit = (uid: string, depth: number): void => {
    const node = graph.byUid.get(uid)!;
    const pad = "  ".repeat(depth);
    const id = ids.get(uid)!;
    if (node.kind !== "block") {
      const label = mermaidLabel(node.name);
      lines.push(
        node.kind === "executable" ? `${pad}${id}(["${label}"])` : `${pad}${id}["${label}"]`,
      );
      return;
    }
    lines.push(`${pad}subgraph ${id} ["${mermaidLabel(node.name)}"]`);
    for (const child of graph.children.get(uid) ?? []) emit(child, depth + 1);
    lines.push(`${pad}end`);
  };
  for (const uid of graph.roots) emit(uid, 1);
  for (const e of graph.edges) lines.push(`  ${ids.get(e.from)} --> ${ids.get(e.to)}`);
  if (colorByState) {
    const byState = new Map<TaskState, GraphNode[]>();
    for (const n of graph.nodes) byState.set(n.state, [...(byState.get(n.state) ?? []), n]);
    for (const state of STATES) {
      const members = byState.get(state);
      if (!members) continue;
      const c = STATE_COLORS[state];
      lines.push(
        `  classDef ${state.toLowerCase()} fill:${c.fill},stroke:${c.stroke},color:${c.text}`,
      );
      lines.push(`  class ${members.map((n) => ids.get(n.uid)).join(",")} ${state.toLowerCase()}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

/** A Mermaid node id for a uid: letters, digits and `_`, never a keyword. */
function mermaidId(uid: string): string {
  let id = uid.replace(/[^A-Za-z0-9_]/g, "_");
  if (id === "" || RESERVED.has(id.toLowerCase()) || /^[ox0-9_]/i.test(id)) id = `n_${id}`;
  return id;
}

/**
 * Text that is safe inside a quoted Mermaid label: characters that end the
 * label, start an entity, or would be read as HTML or markdown become entity
 * codes; line breaks become spaces.
 */
export function mermaidLabel(text: string): string {
  return text
    .replace(/[\r\n\t]+/g, " ")
    .replace(/[#"<>&`\[\]{}()|;\\]/g, (c) => `#${c.charCodeAt(0)};`);
}
