import type { TaskState } from "../src/task_state.ts";
import { uniqueIds } from "./_ids.ts";
import { localName, type TaskGraph } from "./graph_model.ts";
import { STATE_COLORS, STATES } from "./state_style.ts";

/** Options of {@linkcode toMermaid}. */
export interface MermaidOptions {
  /** Colour nodes and blocks by their final state (a `classDef` per state). Default `true`. */
  colorByState?: boolean;
  /** The flowchart direction. Default `"TD"`. */
  direction?: "TD" | "LR";
  /** Add a legend of the states the graph shows. Default: when `colorByState`. */
  legend?: boolean;
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
  // Legend entries get keys no uid has ("\0"), so uniqueIds keeps their ids apart from the nodes'.
  const legendKey = (state: TaskState) => `\0legend ${state}`;
  const ids = uniqueIds(
    [...graph.nodes.map((n) => n.uid), "\0legend", ...STATES.map(legendKey)],
    mermaidId,
  );
  const lines = [`graph ${options.direction ?? "TD"}`];
  const emit = (uid: string, depth: number): void => {
    const node = graph.byUid.get(uid)!;
    const pad = "  ".repeat(depth);
    const id = ids.get(uid)!;
    if (node.kind !== "block") {
      const label = mermaidLabel(localName(graph, node));
      lines.push(
        node.kind === "executable" ? `${pad}${id}(["${label}"])` : `${pad}${id}["${label}"]`,
      );
      return;
    }
    lines.push(`${pad}subgraph ${id} ["${mermaidLabel(localName(graph, node))}"]`);
    for (const child of graph.children.get(uid) ?? []) emit(child, depth + 1);
    lines.push(`${pad}end`);
  };
  for (const uid of graph.roots) emit(uid, 1);
  for (const e of graph.edges) lines.push(`  ${ids.get(e.from)} --> ${ids.get(e.to)}`);
  const byState = new Map<TaskState, string[]>();
  for (const n of graph.nodes) {
    const members = byState.get(n.state);
    if (members) members.push(ids.get(n.uid)!);
    else byState.set(n.state, [ids.get(n.uid)!]);
  }
  const shown = STATES.filter((state) => byState.has(state));
  const legend = options.legend ?? colorByState;
  if (legend) {
    lines.push(`  subgraph ${ids.get("\0legend")} ["states"]`);
    for (const state of shown) lines.push(`    ${ids.get(legendKey(state))}["${state}"]`);
    lines.push("  end");
  }
  if (colorByState) {
    for (const state of shown) {
      const c = STATE_COLORS[state];
      const name = state.toLowerCase();
      lines.push(`  classDef ${name} fill:${c.fill},stroke:${c.stroke},color:${c.text}`);
      lines.push(`  class ${byState.get(state)!.join(",")} ${name}`);
      if (legend) lines.push(`  class ${ids.get(legendKey(state))} ${name}`);
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
