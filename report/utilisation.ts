import type { TaskGraph } from "../graph/graph_model.ts";
import { axisTicks, timeAxis } from "./_time_axis.ts";
import { escapeHtml } from "./html_escape.ts";

/** One step of a running-tasks curve: from `time` on, `running` tasks run. */
export interface UtilisationStep {
  /** When the count changed (ms since the epoch). */
  time: number;
  /** How many attempts run from then on. */
  running: number;
}

/**
 * The number of task attempts running over time (blocks are not counted:
 * they occupy no backend slot), as a step function, for all backends or one.
 *
 * @param graph The graph from `buildGraph`.
 * @param backend Count only this backend's tasks.
 * @returns The steps, in time order; the last one drops to what still runs at the trace's end.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildGraph } from "../graph/mod.ts";
 * import { utilisationSteps } from "./utilisation.ts";
 * const base = { uid: "t1", name: "t", kind: "function" as const, workflowId: "main" };
 * const g = buildGraph([
 *   { ...base, type: "running", time: 1, backend: "local" },
 *   { ...base, type: "done", time: 3 },
 * ]);
 * assert.equal(Math.max(...utilisationSteps(g).map((s) => s.running)), 1);
 * ```
 */
export function utilisationSteps(graph: TaskGraph, backend?: string): UtilisationStep[] {
  const changes: [number, number][] = [];
  for (const node of graph.nodes) {
    if (node.kind === "block" || (backend !== undefined && node.backend !== backend)) continue;
    for (const run of node.runs) {
      changes.push([run.start, 1]);
      if (run.end !== undefined) changes.push([run.end, -1]);
    }
  }
  // Ends before starts at the same instant, so back-to-back tasks do not count twice.
  changes.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const steps: UtilisationStep[] = [];
  let running = 0;
  for (const [time, delta] of changes) {
    running += delta;
    const last = steps.at(-1);
    if (last && last.time === time) last.running = running;
    else steps.push({ time, running });
  }
  return steps;
}

const PALETTE = ["#2c7bb6", "#d95f02", "#7570b3", "#1b9e77", "#e7298a", "#66a61e"];

/**
 * Draws the running-tasks curve: the total as a filled area, and one line
 * per backend when there are several.
 *
 * @param graph The graph from `buildGraph`.
 * @param width The SVG's width. Default 1100.
 * @returns The `<svg>` element and the peak count.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildGraph } from "../graph/mod.ts";
 * import { renderUtilisation } from "./utilisation.ts";
 * assert.equal(renderUtilisation(buildGraph([])).peak, 0);
 * ```
 */
export function renderUtilisation(graph: TaskGraph, width = 1100): { svg: string; peak: number } {
  const height = 180;
  const top = 14;
  const bottom = height - 24;
  const axis = timeAxis(graph.start ?? 0, graph.end ?? 0, 60, width - 20);
  const total = utilisationSteps(graph);
  const peak = total.reduce((m, s) => Math.max(m, s.running), 0);
  const y = (n: number) => bottom - (n / Math.max(1, peak)) * (bottom - top);
  const path = (steps: UtilisationStep[]) => {
    let d = `M${axis.left} ${y(0).toFixed(1)}`;
    let level = 0;
    for (const s of steps) {
      const x = axis.x(s.time).toFixed(1);
      d += `L${x} ${y(level).toFixed(1)}L${x} ${y(s.running).toFixed(1)}`;
      level = s.running;
    }
    return `${d}L${axis.right} ${y(level).toFixed(1)}`;
  };
  const parts = [
    `<g class="axis">${axisTicks(axis, top, bottom)}</g>`,
    `<text class="tick-label" x="54" y="${top + 4}" text-anchor="end">${peak}</text>`,
    `<text class="tick-label" x="54" y="${bottom}" text-anchor="end">0</text>`,
    `<path class="util-total" d="${
      path(total)
    }L${axis.right} ${bottom}Z" data-tip="all backends: peak ${peak} running"/>`,
  ];
  const backends = [
    ...new Set(graph.nodes.flatMap((n) => n.kind !== "block" && n.backend ? [n.backend] : [])),
  ];
  const legend: string[] = [];
  if (backends.length > 1) {
    backends.forEach((backend, i) => {
      const color = PALETTE[i % PALETTE.length]!;
      const steps = utilisationSteps(graph, backend);
      const own = steps.reduce((m, s) => Math.max(m, s.running), 0);
      const tip = escapeHtml(`${backend}: peak ${own} running`);
      parts.push(
        `<path class="util-line" stroke="${color}" d="${path(steps)}" data-tip="${tip}"/>`,
      );
      legend.push(
        `<span class="legend-item"><i style="background:${color}"></i>${
          escapeHtml(backend)
        }</span>`,
      );
    });
  }
  const svg =
    `<svg class="utilisation" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="Running tasks over time">${
      parts.join("")
    }</svg>`;
  return {
    svg: `${svg}${legend.length ? `<div class="legend">${legend.join("")}</div>` : ""}`,
    peak,
  };
}
