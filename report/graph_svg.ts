import { Graph, layout } from "@dagrejs/dagre";
import { collapseGraph } from "../graph/collapse.ts";
import { localName, type TaskGraph } from "../graph/graph_model.ts";
import { chooseGraphView } from "./graph_view.ts";
import { escapeHtml } from "./html_escape.ts";

/** Options of {@linkcode renderGraphSvg}. */
export interface GraphSvgOptions {
  /** Uids on the critical path: their boxes and the edges between them are highlighted. */
  critical?: readonly string[];
  /**
   * The most boxes to lay out. A bigger graph is drawn by template (`collapseGraph`), and if that
   * is still too big, in part (see `chooseGraphView`). Default 250: dagre's time grows faster than
   * the number of boxes and edges (a 1,000-task campaign with its edges took tens of seconds).
   */
  maxNodes?: number;
}

/** The drawn graph. */
export interface GraphSvg {
  /** The `<svg>` element. */
  svg: string;
  /** Why the drawing is partial, if it is. */
  note?: string;
  /** How many boxes were laid out. */
  boxes: number;
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

const MAX_LABEL = 28;

/**
 * Lays the dependency graph out with dagre, at render time, and draws it as
 * SVG: tasks as boxes coloured by state, each block as a group whose header
 * box stands for the block itself (edges to and from the block end there),
 * closed blocks as one box, and the critical path highlighted. A graph of more
 * than `maxNodes` tasks and blocks is drawn by template: one box per task name
 * in each block, `name ×N`, coloured by its most telling state.
 *
 * @param graph The graph from `buildGraph`.
 * @param options Critical path and size limit.
 * @returns The SVG and, when the graph was too big, a note saying what is hidden.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildGraph } from "../graph/mod.ts";
 * import { renderGraphSvg } from "./graph_svg.ts";
 * const g = buildGraph([{ type: "created", time: 0, uid: "t1", name: "t", kind: "function", workflowId: "main", deps: [] }]);
 * assert.ok(renderGraphSvg(g).svg.includes('data-uid="t1"'));
 * ```
 */
export function renderGraphSvg(full: TaskGraph, options: GraphSvgOptions = {}): GraphSvg {
  const limit = options.maxNodes ?? 250;
  const byTemplate = full.nodes.length > limit;
  const graph = byTemplate ? collapseGraph(full) : full;
  const view = chooseGraphView(graph, limit);
  const templateNote = byTemplate
    ? `${full.nodes.length} tasks and blocks are more than ${limit} boxes: drawn by template, one box per task name in each block ('name ×N'); asyncflow graph draws every task.`
    : undefined;
  const note = [templateNote, view.note].filter((n) => n !== undefined).join(" ") || undefined;
  // The critical path runs through tasks, which a template box does not single out.
  const critical = byTemplate ? [] : options.critical ?? [];
  const onPath = new Set(critical);
  const pathEdges = new Set(critical.slice(1).map((to, i) => `${critical[i]}\u0000${to}`));
  const g = new Graph({ compound: true });
  g.setGraph({ rankdir: "TB", nodesep: 16, ranksep: 30, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const item of view.items) {
    const node = graph.byUid.get(item.uid)!;
    const label = boxLabel(localName(graph, node), item.hidden);
    const height = item.shape === "task" ? 26 : 30;
    g.setNode(item.uid, { width: Math.max(60, 7 * label.length + 18), height });
    if (item.shape === "group") {
      g.setNode(`group:${item.uid}`, {});
      g.setParent(item.uid, `group:${item.uid}`);
    }
    if (item.group !== undefined) {
      g.setParent(item.shape === "group" ? `group:${item.uid}` : item.uid, `group:${item.group}`);
      // Keeps the block's header box above its members.
      g.setEdge(item.group, item.uid, { weight: 1, minlen: 1 });
    }
  }
  for (const e of view.edges) g.setEdge(e.from, e.to, { weight: 1, minlen: 1 });
  layout(g);

  const parts: string[] = [];
  for (const item of view.items) {
    if (item.shape !== "group") continue;
    const node = graph.byUid.get(item.uid)!;
    const b = g.node(`group:${item.uid}`) as Box;
    parts.push(
      `<rect class="group s-${node.state.toLowerCase()}" data-group="${
        escapeHtml(item.uid)
      }" data-uid="${escapeHtml(item.uid)}" x="${(b.x - b.width / 2).toFixed(1)}" y="${
        (b.y - b.height / 2).toFixed(1)
      }" width="${b.width.toFixed(1)}" height="${b.height.toFixed(1)}" rx="8"/>`,
    );
  }
  for (const e of view.edges) {
    const points = (g.edge(e.from, e.to) as { points?: { x: number; y: number }[] }).points ?? [];
    if (points.length < 2) continue;
    const d = points.map((p, i) => `${i === 0 ? "M" : "L"}${p.x.toFixed(1)} ${p.y.toFixed(1)}`)
      .join("");
    const crit = pathEdges.has(`${e.from}\u0000${e.to}`) ? " crit" : "";
    parts.push(
      `<path class="edge${crit}" d="${d}" marker-end="url(#arrow${crit ? "-crit" : ""})"/>`,
    );
  }
  for (const item of view.items) {
    const node = graph.byUid.get(item.uid)!;
    const b = g.node(item.uid) as Box;
    const classes = [
      `node`,
      `k-${node.kind}`,
      `shape-${item.shape}`,
      `s-${node.state.toLowerCase()}`,
    ];
    if (onPath.has(item.uid)) classes.push("crit");
    parts.push(
      `<g class="${classes.join(" ")}" data-uid="${escapeHtml(item.uid)}">` +
        `<rect x="${(b.x - b.width / 2).toFixed(1)}" y="${
          (b.y - b.height / 2).toFixed(1)
        }" width="${b.width.toFixed(1)}" height="${b.height.toFixed(1)}" rx="${
          node.kind === "executable" ? 2 : 6
        }"/>` +
        `<text x="${b.x.toFixed(1)}" y="${(b.y + 4).toFixed(1)}">${
          escapeHtml(boxLabel(localName(graph, node), item.hidden))
        }</text></g>`,
    );
  }
  // dagre gives an empty graph a size of -Infinity: draw nothing, with a size SVG accepts.
  const size = g.graph() as { width?: number; height?: number };
  const width = Math.max(0, Math.ceil(size.width ?? 0));
  const height = Math.max(0, Math.ceil(size.height ?? 0));
  const defs = `<defs>${marker("arrow", "#666")}${marker("arrow-crit", "#8e24aa")}</defs>`;
  const svg =
    `<svg class="graph" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="Dependency graph">${defs}${
      parts.join("")
    }</svg>`;
  return note === undefined
    ? { svg, boxes: view.items.length }
    : { svg, boxes: view.items.length, note };
}

function boxLabel(name: string, hidden: number | undefined): string {
  const clipped = name.length > MAX_LABEL ? `${name.slice(0, MAX_LABEL - 1)}…` : name;
  return hidden === undefined ? clipped : `${clipped} (+${hidden})`;
}

function marker(id: string, color: string): string {
  return `<marker id="${id}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="${color}"/></marker>`;
}
