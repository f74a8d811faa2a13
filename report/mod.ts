/**
 * The HTML report of a trace: one self-contained page with the run's command
 * line and status, the failures (root failures first), statistics per
 * template, a Gantt chart, running tasks over time, the dependency graph, the
 * critical path and a sortable table of every task.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderReport } from "@asyncflow/asyncflow/report";
 * assert.ok(renderReport([], { title: "empty" }).startsWith("<!DOCTYPE html>"));
 * ```
 *
 * @module
 */
export { renderReport } from "./report.ts";
export type { ReportOptions, ReportRunInfo } from "./report.ts";
export { criticalPath } from "./critical_path.ts";
export type { CriticalPath } from "./critical_path.ts";
