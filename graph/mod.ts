/**
 * The dependency graph of a trace, its view by template, and its export as Mermaid or Graphviz DOT.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildGraph, readTrace, toDot, toMermaid } from "@asyncflow/asyncflow/graph";
 * const line = JSON.stringify({ type: "created", time: 1, uid: "task.000001", name: "a", kind: "function", workflowId: "main", deps: [] });
 * const graph = buildGraph(readTrace(line));
 * assert.ok(toMermaid(graph).startsWith("graph TD") && toDot(graph).startsWith("digraph"));
 * ```
 *
 * @module
 */
export { buildGraph, localName, templateOf } from "./graph_model.ts";
export type { GraphEdge, GraphNode, GraphRun, TaskGraph } from "./graph_model.ts";
export { collapseGraph } from "./collapse.ts";
export { toMermaid } from "./mermaid.ts";
export type { MermaidOptions } from "./mermaid.ts";
export { toDot } from "./dot.ts";
export type { DotOptions } from "./dot.ts";
export { readTrace } from "./trace_reader.ts";
export { STATE_COLORS, STATES } from "./state_style.ts";
export type { StateColors } from "./state_style.ts";
