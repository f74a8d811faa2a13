/**
 * Times and durations as `log` and `show` print them.
 *
 * @module
 */

/**
 * A moment as `YYYY-MM-DD HH:MM:SS` in local time.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatTime } from "./format_time.ts";
 * assert.match(formatTime(Date.UTC(2026, 11, 1, 12)), /^2026-12-0[12] \d\d:00:00$/);
 * ```
 */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ` +
    `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/**
 * A duration: `850ms`, `2.06s`, `3m05s`, `1h02m`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatDuration } from "./format_time.ts";
 * assert.deepEqual([formatDuration(850), formatDuration(2064), formatDuration(185_000)], [
 *   "850ms", "2.06s", "3m05s",
 * ]);
 * ```
 */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)}s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
