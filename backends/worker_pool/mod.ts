/**
 * The worker pool backend: function tasks on web Workers (worker threads on
 * Node) through Comlink, addressed by module and export.
 *
 * @example
 * ```ts ignore
 * import { WorkflowEngine } from "@asyncflow/asyncflow";
 * import { WorkerPoolBackend } from "@asyncflow/asyncflow/worker_pool";
 * import * as tasks from "./tasks.ts";
 * const pool = new WorkerPoolBackend({ modules: [new URL("./tasks.ts", import.meta.url)] });
 * await using flow = await WorkflowEngine.create({ backend: pool });
 * console.log(await flow.functionTask(tasks.simulate)(42));
 * ```
 *
 * @module
 */
export { WorkerPoolBackend } from "./worker_pool_backend.ts";
export type { WorkerPoolOptions, WorkerPoolStats } from "./worker_pool_backend.ts";
export type { Percentiles } from "./latency_stats.ts";
export { WorkerCrashError } from "./errors.ts";
export { transfer } from "./transfer.ts";
