/**
 * The HTML report of a trace: one self-contained page with a Gantt chart,
 * running tasks over time, the dependency graph, the critical path and the
 * failures.
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
export type { ReportOptions } from "./report.ts";
export { criticalPath } from "./critical_path.ts";
export type { CriticalPath } from "./critical_path.ts";
