/**
 * The one place where the runtime is told apart. Everything that behaves
 * differently per runtime asks {@linkcode runtime} (or `host.runtime`), so
 * adding a runtime shows every place to extend.
 *
 * @module
 */

/**
 * The runtimes asyncflow knows: three that can start processes and touch
 * files (`deno`, `bun`, `node`), and the web runtimes that cannot
 * (`browser` — a page or a Worker in a browser —, `workerd`, and `web` for
 * any other runtime that offers only web-standard APIs).
 */
export type Runtime = "deno" | "bun" | "node" | "browser" | "workerd" | "web";

/** Whether a runtime can start processes and use files (through the `node:` built-ins). */
export function isProcessRuntime(runtime: Runtime): runtime is "deno" | "bun" | "node" {
  return runtime === "deno" || runtime === "bun" || runtime === "node";
}

/**
 * Tells the runtime from its globals. Deno and Bun are asked first: both
 * also define `process` for Node compatibility. workerd is known by its user
 * agent, which it sets whatever its compatibility flags (with `nodejs_compat`
 * it defines `process` too, yet still starts no process).
 *
 * @param g The global object to look at.
 * @returns The runtime.
 */
export function detectRuntime(g: Record<string, unknown> = globalThis): Runtime {
  if (typeof g.Deno === "object") return "deno";
  if (typeof g.Bun === "object") return "bun";
  const agent = (g.navigator as { userAgent?: unknown } | undefined)?.userAgent;
  if (agent === "Cloudflare-Workers") return "workerd";
  const process = g.process as { versions?: { node?: unknown } } | undefined;
  if (typeof process?.versions?.node === "string") return "node";
  if (typeof g.document === "object" || typeof g.WorkerGlobalScope === "function") {
    return "browser";
  }
  return "web";
}

/** The runtime this code runs on. */
export const runtime: Runtime = detectRuntime();
