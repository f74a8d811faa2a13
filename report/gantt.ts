import type { GraphRun, TaskGraph } from "../graph/graph_model.ts";
import { axisTicks, formatMs, timeAxis } from "./_time_axis.ts";
import { escapeHtml } from "./html_escape.ts";

/** Options of {@linkcode renderGantt}. */
export interface GanttOptions {
  /** Uids on the critical path: their bars are outlined. */
  critical?: ReadonlySet<string>;
  /** Above this many bars in all, every lane is drawn as a density strip. Default 20 000. */
  maxBars?: number;
  /** A lane that needs more rows than this is drawn as a density strip. Default 400. */
  maxRowsPerLane?: number;
  /** The SVG's width. Default 1100. */
  width?: number;
}

/** The Gantt chart's SVG and what it had to aggregate. */
export interface GanttView {
  /** The `<svg>` element. */
  svg: string;
  /** How many bars were drawn one by one. */
  bars: number;
  /** Labels of the lanes drawn as density strips. */
  aggregated: string[];
}

interface Bar {
  uid: string;
  name: string;
  run: GraphRun;
  end: number;
}

interface Lane {
  label: string;
  order: number;
  bars: Bar[];
}

const LABEL_WIDTH = 190;
const STRIP_HEIGHT = 26;
const BUCKETS = 200;

/**
 * Draws every attempt of every task as a bar, in one lane per backend and
 * worker (`where`); blocks get their own lane. Bars that overlap in a lane
 * (a backend that does not say where it runs tasks) are stacked in rows.
 * Lanes too dense to draw bar by bar become a strip whose shade is the
 * number of tasks running at each moment.
 *
 * @param graph The graph from `buildGraph`.
 * @param options Critical path, limits and width.
 * @returns The SVG and what was aggregated.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildGraph } from "../graph/mod.ts";
 * import { renderGantt } from "./gantt.ts";
 * const base = { uid: "t1", name: "t", kind: "function" as const, workflowId: "main" };
 * const g = buildGraph([
 *   { ...base, type: "created", time: 0, deps: [] },
 *   { ...base, type: "running", time: 1, backend: "local", where: "worker-0" },
 *   { ...base, type: "done", time: 3 },
 * ]);
 * assert.equal(renderGantt(g).bars, 1);
 * ```
 */
export function renderGantt(graph: TaskGraph, options: GanttOptions = {}): GanttView {
  const width = options.width ?? 1100;
  const maxBars = options.maxBars ?? 20_000;
  const maxRows = options.maxRowsPerLane ?? 400;
  const critical = options.critical ?? new Set<string>();
  const traceEnd = graph.end ?? 0;
  const lanes = new Map<string, Lane>();
  const backendOrder = new Map<string, number>();
  let total = 0;
  for (const node of graph.nodes) {
    for (const run of node.runs) {
      const backend = node.kind === "block" ? "blocks" : node.backend ?? "(unknown backend)";
      if (!backendOrder.has(backend)) {
        backendOrder.set(backend, node.kind === "block" ? 1e9 : backendOrder.size);
      }
      const label = run.where === undefined ? backend : `${backend} · ${run.where}`;
      let lane = lanes.get(label);
      if (!lane) lanes.set(label, lane = { label, order: backendOrder.get(backend)!, bars: [] });
      lane.bars.push({ uid: node.uid, name: node.name, run, end: run.end ?? traceEnd });
      total++;
    }
  }
  const sorted = [...lanes.values()].sort((a, b) =>
    a.order - b.order || a.label.localeCompare(b.label, "en", { numeric: true })
  );
  const packed = sorted.map((lane) => ({ lane, rows: packRows(lane.bars) }));
  const aggregateAll = total > maxBars;
  const drawn = packed.map((p) => ({ ...p, strip: aggregateAll || p.rows.length > maxRows }));
  const rowCount = drawn.reduce((sum, d) => sum + (d.strip ? 0 : d.rows.length), 0);
  const rowHeight = rowCount <= 300 ? 16 : Math.max(3, Math.floor(4800 / rowCount));
  const barHeight = Math.max(2, rowHeight - (rowHeight > 6 ? 3 : 1));
  const axis = timeAxis(graph.start ?? 0, traceEnd, LABEL_WIDTH, width - 20);
  const labels = total <= 2000;

  const body: string[] = [];
  let y = 24;
  let bars = 0;
  const aggregated: string[] = [];
  for (const { lane, rows, strip } of drawn) {
    const laneHeight = strip ? STRIP_HEIGHT : rows.length * rowHeight;
    body.push(
      `<g class="lane" data-lane="${escapeHtml(lane.label)}">`,
      `<line class="lane-sep" x1="0" x2="${width}" y1="${y}" y2="${y}"/>`,
      `<text class="lane-label" x="6" y="${y + Math.min(laneHeight, 16) - 4}">${
        escapeHtml(clip(lane.label, 30))
      }</text>`,
    );
    if (strip) {
      aggregated.push(lane.label);
      body.push(densityStrip(lane.bars, axis, y + 2, STRIP_HEIGHT - 4));
    } else {
      rows.forEach((row, r) => {
        const top = y + r * rowHeight + 1;
        for (const bar of row) {
          bars++;
          const x = axis.x(bar.run.start);
          const w = Math.max(1, axis.x(bar.end) - x);
          const classes = `bar o-${bar.run.outcome}${critical.has(bar.uid) ? " crit" : ""}`;
          body.push(
            `<rect class="${classes}" x="${x.toFixed(1)}" y="${top}" width="${
              w.toFixed(1)
            }" height="${barHeight}" data-uid="${
              escapeHtml(bar.uid)
            }" data-attempt="${bar.run.attempt}"/>`,
          );
          if (labels && barHeight >= 12 && w > 7 * bar.name.length + 8) {
            body.push(
              `<text class="bar-label" x="${(x + 4).toFixed(1)}" y="${top + barHeight - 3}">${
                escapeHtml(bar.name)
              }</text>`,
            );
          }
        }
      });
    }
    body.push("</g>");
    y += laneHeight + 4;
  }
  const height = y + 20;
  const svg =
    `<svg class="gantt" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="Gantt chart">` +
    `<g class="axis">${axisTicks(axis, 18, y)}</g>${body.join("")}</svg>`;
  return { svg, bars, aggregated };
}

/** Greedy interval packing: each bar goes to the first row free at its start. */
function packRows(bars: Bar[]): Bar[][] {
  bars.sort((a, b) => a.run.start - b.run.start || a.end - b.end);
  const rows: Bar[][] = [];
  const rowEnds: number[] = [];
  for (const bar of bars) {
    let r = rowEnds.findIndex((end) => end <= bar.run.start);
    if (r < 0) {
      r = rows.length;
      rows.push([]);
      rowEnds.push(0);
    }
    rows[r]!.push(bar);
    rowEnds[r] = bar.end;
  }
  return rows;
}

/** A strip of buckets shaded by the mean number of bars running in each. */
function densityStrip(
  bars: Bar[],
  axis: ReturnType<typeof timeAxis>,
  top: number,
  height: number,
): string {
  const busy = new Float64Array(BUCKETS); // ms of running time per bucket
  const size = axis.span / BUCKETS;
  for (const bar of bars) {
    const from = bar.run.start - axis.start;
    const to = bar.end - axis.start;
    for (let b = Math.max(0, Math.floor(from / size)); b < BUCKETS && b * size < to; b++) {
      busy[b]! += Math.min(to, (b + 1) * size) - Math.max(from, b * size);
    }
  }
  const peak = Math.max(...busy) / size || 1;
  const width = (axis.right - axis.left) / BUCKETS;
  const cells: string[] = [];
  for (let b = 0; b < BUCKETS; b++) {
    const mean = busy[b]! / size;
    if (mean <= 0) continue;
    const tip = `${formatMs(b * size)}–${formatMs((b + 1) * size)}: ${
      mean.toFixed(1)
    } running on average (${bars.length} attempts in this lane)`;
    cells.push(
      `<rect class="density" x="${(axis.left + b * width).toFixed(1)}" y="${top}" width="${
        (width + 0.3).toFixed(1)
      }" height="${height}" fill-opacity="${(0.15 + 0.85 * mean / peak).toFixed(2)}" data-tip="${
        escapeHtml(tip)
      }"/>`,
    );
  }
  return cells.join("");
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
