import { escapeHtml } from "./html_escape.ts";

/** Maps trace times to x coordinates across `[left, right]`. */
export interface TimeAxis {
  /** The trace's first time. */
  start: number;
  /** The span in ms (at least 1, so an instant trace still has width). */
  span: number;
  /** The x of the axis start. */
  left: number;
  /** The x of the axis end. */
  right: number;
  /** The x of a time. */
  x(time: number): number;
}

/** Makes a time axis. */
export function timeAxis(start: number, end: number, left: number, right: number): TimeAxis {
  const span = Math.max(1, end - start);
  const scale = (right - left) / span;
  return { start, span, left, right, x: (time) => left + (time - start) * scale };
}

/** A duration for people: `850 µs`, `12.3 ms`, `4.20 s`, `3 min 05 s`. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return "?";
  if (ms < 1) return `${Math.round(ms * 1000)} µs`;
  if (ms < 1000) return `${ms < 100 ? ms.toFixed(1) : Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return `${minutes} min ${String(seconds).padStart(2, "0")} s`;
}

/** Tick marks at a 1-2-5 step, with labels relative to the trace start; SVG text. */
export function axisTicks(axis: TimeAxis, top: number, bottom: number): string {
  const raw = axis.span / 8;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const parts: string[] = [];
  for (let t = 0; t <= axis.span + step / 1000; t += step) {
    const x = axis.x(axis.start + t).toFixed(1);
    parts.push(
      `<line class="tick" x1="${x}" x2="${x}" y1="${top}" y2="${bottom}"/>`,
      `<text class="tick-label" x="${x}" y="${bottom + 12}">${
        t === 0 ? "0" : escapeHtml(formatMs(t))
      }</text>`,
    );
  }
  return parts.join("");
}
