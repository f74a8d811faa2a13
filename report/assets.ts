import { STATE_COLORS } from "../graph/state_style.ts";

const c = STATE_COLORS;

/** The report's stylesheet, inlined into its `<style>` element. */
export const REPORT_CSS = `
:root { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d232b; background: #fafbfc; }
body { margin: 0 auto; padding: 16px 24px 48px; max-width: 1180px; }
h1 { font-size: 22px; margin: 8px 0 2px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #dde2e8; padding-bottom: 4px; }
h3 { font-size: 14px; margin: 16px 0 6px; }
.meta, .note, .empty { color: #5b6573; font-size: 13px; margin: 4px 0; }
.note { background: #fff8e1; border-left: 3px solid #c9a227; padding: 6px 10px; }
.cards { display: flex; flex-wrap: wrap; gap: 8px; margin: 12px 0; }
.card { background: #fff; border: 1px solid #dde2e8; border-radius: 8px; padding: 8px 14px; min-width: 72px; }
.card b { display: block; font-size: 20px; } .card span { font-size: 12px; color: #5b6573; }
.card.c-failed b { color: ${c.FAILED.stroke}; } .card.c-done b { color: ${c.DONE.stroke}; }
.card.c-cancelled b { color: ${c.CANCELLED.stroke}; }
.scroll { overflow: auto; max-height: 760px; background: #fff; border: 1px solid #dde2e8; border-radius: 6px; }
svg text { font-size: 11px; fill: #1d232b; }
.tick { stroke: #eef1f4; } .tick-label { fill: #7a8593; font-size: 10px; }
.lane-sep { stroke: #dde2e8; } .lane-label { font-weight: 600; fill: #3b4450; }
.bar { stroke: none; } .bar-label { pointer-events: none; font-size: 10px; }
.o-done { fill: ${c.DONE.stroke}; fill-opacity: .55; } .o-failed { fill: ${c.FAILED.stroke}; fill-opacity: .8; }
.o-retried { fill: #e67e22; fill-opacity: .7; } .o-cancelled { fill: ${c.CANCELLED.stroke}; fill-opacity: .55; }
.o-running { fill: ${c.RUNNING.stroke}; fill-opacity: .6; }
.bar.crit, .legend-crit { stroke: #8e24aa; stroke-width: 2; }
.density { fill: ${c.RUNNING.stroke}; }
.util-total { fill: ${c.RUNNING.fill}; stroke: ${c.RUNNING.stroke}; stroke-width: 1; }
.util-line { fill: none; stroke-width: 1.5; }
.legend { display: flex; gap: 14px; font-size: 12px; margin: 6px 0; flex-wrap: wrap; }
.legend-item i { display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin-right: 4px; vertical-align: -2px; }
.group { fill-opacity: .18; stroke-width: 1.2; stroke-dasharray: 4 3; }
.node rect { stroke-width: 1.2; } .node text { text-anchor: middle; pointer-events: none; fill: #1d232b; stroke: none; }
.node.shape-group rect, .node.shape-collapsed rect { stroke-width: 2; } .node.shape-group text, .node.shape-collapsed text { font-weight: 600; }
.node.crit rect { stroke: #8e24aa; stroke-width: 3; }
.edge { fill: none; stroke: #888; stroke-width: 1.2; } .edge.crit { stroke: #8e24aa; stroke-width: 2.5; }
${
  (Object.keys(c) as (keyof typeof c)[]).map((s) =>
    `rect.s-${s.toLowerCase()}, .s-${s.toLowerCase()} rect { fill: ${c[s].fill}; stroke: ${
      c[s].stroke
    }; }`
  ).join("\n")
}
rect.hl, .hl rect { stroke: #111 !important; stroke-width: 2.5 !important; }
table { border-collapse: collapse; width: 100%; font-size: 13px; background: #fff; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eef1f4; vertical-align: top; }
tr.primary td.err-name { color: ${c.FAILED.stroke}; font-weight: 600; } tr.secondary { color: #5b6573; }
td.err-msg { white-space: pre-wrap; word-break: break-word; }
ol.critical-path { font-size: 13px; padding-left: 22px; } ol.critical-path li { margin: 2px 0; }
ol.critical-path .dur { color: #5b6573; margin-left: 6px; }
.description { font-size: 14px; margin: 4px 0 8px; max-width: 80ch; }
dl.run { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; font-size: 13px; margin: 8px 0; }
dl.run dt { color: #5b6573; } dl.run dd { margin: 0; word-break: break-all; }
.status { display: inline-block; font-weight: 600; font-size: 13px; padding: 3px 10px; border-radius: 4px; margin: 6px 0; }
.status.succeeded { background: ${c.DONE.fill}; color: ${c.DONE.text}; }
.status.failed { background: ${c.FAILED.fill}; color: ${c.FAILED.text}; }
.status.interrupted, .status.running { background: #fff8e1; color: #6d5200; border: 1px solid #c9a227; }
table.sortable th button { font: inherit; font-weight: 600; background: none; border: 0; padding: 0; cursor: pointer; color: inherit; }
table.sortable th[aria-sort="ascending"] button::after { content: " ▲"; }
table.sortable th[aria-sort="descending"] button::after { content: " ▼"; }
td[data-v] { text-align: right; font-variant-numeric: tabular-nums; }
td.because .root-ref { white-space: nowrap; }
#tip { position: fixed; pointer-events: none; background: #1d232b; color: #fff; font-size: 12px; padding: 6px 9px;
  border-radius: 5px; max-width: 440px; z-index: 10; box-shadow: 0 2px 8px rgba(0,0,0,.25); white-space: pre-wrap; }
#tip div:first-child { font-weight: 600; }
`;

/**
 * The report's script: tooltips and cross-highlighting on hover, and sorting
 * of the tables marked `sortable` when a heading is clicked. It reads
 * task details from the JSON data element and writes them with
 * `textContent`, so no string from the trace is ever parsed as HTML. It looks
 * the data and the tooltip up again after an `asyncflow:update` event, which
 * the live dashboard sends when it has replaced the page's content.
 */
export const REPORT_JS = `
(() => {
  "use strict";
  let data = null;
  const taskData = () => data ??= JSON.parse(document.getElementById("task-data").textContent);
  let lit = [];
  document.addEventListener("asyncflow:update", () => { data = null; lit = []; });
  const ms = (v) => v < 1000 ? v.toFixed(1) + " ms" : (v / 1000).toFixed(2) + " s";
  function linesFor(el) {
    if (el.dataset.tip) return [el.dataset.tip];
    const t = taskData()[el.dataset.uid];
    if (!t) return [el.dataset.uid];
    const lines = [t.n, t.u + " · " + t.k + " · " + t.s];
    if (t.b) lines.push("backend: " + t.b + (t.w ? " · " + t.w : ""));
    if (t.d !== undefined) lines.push("ran for " + ms(t.d) + (t.a > 1 ? " in " + t.a + " attempts" : ""));
    if (el.dataset.attempt) lines.push("attempt " + el.dataset.attempt);
    if (t.p) lines.push("in block: " + t.p);
    if (t.c) lines.push("on the critical path");
    if (t.e) lines.push(t.e);
    return lines;
  }
  function highlight(uid) {
    for (const el of lit) el.classList.remove("hl");
    lit = uid ? Array.from(document.querySelectorAll('[data-uid="' + CSS.escape(uid) + '"]')) : [];
    for (const el of lit) el.classList.add("hl");
  }
  document.addEventListener("mouseover", (event) => {
    const tip = document.getElementById("tip");
    const el = event.target instanceof Element ? event.target.closest("[data-uid],[data-tip]") : null;
    if (!el) { tip.hidden = true; highlight(null); return; }
    tip.replaceChildren(...linesFor(el).map((line) => {
      const div = document.createElement("div");
      div.textContent = line;
      return div;
    }));
    tip.hidden = false;
    highlight(el.dataset.uid || null);
  });
  // Sorting: by each cell's data-v as a number (empty values last either way), else by its text;
  // ties keep the original order (data-i). Delegated, so it survives the dashboard's updates,
  // after which each table's last sort is applied again to its new rows.
  const sorts = new Map();
  function sortTable(table, col, dir) {
    const button = table.querySelector('th button[data-col="' + col + '"]');
    if (!button) return;
    const numeric = button.dataset.type === "num";
    for (const other of table.querySelectorAll("th[aria-sort]")) other.removeAttribute("aria-sort");
    button.parentElement.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
    const value = (row) => {
      const cell = row.cells[col];
      if (!numeric) return cell ? cell.textContent : "";
      const v = cell && cell.dataset.v !== undefined ? cell.dataset.v : "";
      return v === "" ? null : Number(v);
    };
    const body = table.tBodies[0];
    const rows = Array.from(body.rows, (row) => [value(row), Number(row.dataset.i), row]);
    rows.sort((a, b) => {
      if (numeric) {
        const na = a[0] === null, nb = b[0] === null;
        if (na || nb) return na && nb ? a[1] - b[1] : na ? 1 : -1;
        return (a[0] - b[0]) * dir || a[1] - b[1];
      }
      return a[0].localeCompare(b[0], undefined, { numeric: true }) * dir || a[1] - b[1];
    });
    body.append(...rows.map((r) => r[2]));
    sorts.set(table.id, [col, dir]);
  }
  document.addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest("table.sortable th button[data-col]") : null;
    if (!button) return;
    const dir = button.parentElement.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    sortTable(button.closest("table"), Number(button.dataset.col), dir);
  });
  document.addEventListener("asyncflow:update", () => {
    for (const [id, [col, dir]] of sorts) {
      const table = document.getElementById(id);
      if (table) sortTable(table, col, dir);
    }
  });
  document.addEventListener("mousemove", (event) => {
    const tip = document.getElementById("tip");
    if (tip.hidden) return;
    const x = Math.min(event.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
    const y = event.clientY + 16 + tip.offsetHeight > window.innerHeight ? event.clientY - tip.offsetHeight - 10 : event.clientY + 16;
    tip.style.left = x + "px";
    tip.style.top = y + "px";
  });
})();
`;
