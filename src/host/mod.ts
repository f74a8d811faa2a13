/**
 * The host: everything host-specific goes through the {@linkcode Host} this
 * module picks, once, from the runtime `runtime.ts` detects.
 *
 * @module
 */
import type { Host } from "./host.ts";
import { nodeHost } from "./node_host.ts";
import { isProcessRuntime, runtime } from "./runtime.ts";
import { webHost } from "./web_host.ts";

export type {
  ContextStorage,
  FileStat,
  Host,
  ProcessOutcome,
  ProcessRequest,
  ProcessUsage,
  RunningProcess,
} from "./host.ts";
export { detectRuntime, isProcessRuntime, runtime } from "./runtime.ts";
export type { Runtime } from "./runtime.ts";
export { synchronousContextStorage } from "./async_context.ts";

/** The host services of the runtime this code runs on. */
export const host: Host = isProcessRuntime(runtime) ? nodeHost(runtime) : webHost(runtime);
