/**
 * The one place where the runtime is detected. Everything host-specific goes
 * through the {@linkcode Host} this module picks.
 *
 * @module
 */
import type { Host } from "./host.ts";
import { nodeHost } from "./node_host.ts";

export type {
  ContextStorage,
  Host,
  ProcessOutcome,
  ProcessRequest,
  RunningProcess,
} from "./host.ts";

function detectRuntime(): Host["runtime"] {
  const g = globalThis as Record<string, unknown>;
  if (typeof g.Deno === "object") return "deno";
  if (typeof g.Bun === "object") return "bun";
  return "node";
}

/** The host services of the runtime this process runs on. */
export const host: Host = nodeHost(detectRuntime());
