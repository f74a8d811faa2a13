/**
 * The worker pool backend: function tasks on web Workers (worker threads on
 * Node), addressed by module and export.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WorkflowEngine } from "@asyncflow/asyncflow";
 * import { WorkerPoolBackend } from "@asyncflow/asyncflow/worker_pool";
 * // A task module: usually `new URL("./tasks.ts", import.meta.url)`, inline here.
 * const url = "data:text/javascript,export const where = () => typeof WorkerGlobalScope;";
 * const tasks = await import(url);
 * const pool = new WorkerPoolBackend({ modules: [url], size: 1 });
 * await using flow = await WorkflowEngine.create({ backend: pool });
 * const where = flow.functionTask(tasks.where as () => string);
 * assert.equal(await where(), "function"); // it ran in a worker
 * ```
 *
 * @module
 */
export { WorkerPoolBackend } from "./worker_pool_backend.ts";
export type { WorkerPoolOptions, WorkerPoolStats } from "./options.ts";
export type { PoolMode } from "./claims.ts";
export type { Percentiles } from "./latency_stats.ts";
export { MovedArgumentsError, WorkerCrashError } from "./errors.ts";
export { transfer } from "./transfer.ts";
