/** Task modules of the browser pool test: bundled apart from the page, loaded by URL. */

/** `n²`. */
export function square(n: number): number {
  return n * n;
}

/** Where it runs: `"worker"` inside a Worker. */
export function where(): string {
  return typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope === "function"
    ? "worker"
    : "page";
}

/** Says it started on a BroadcastChannel, then never returns: only terminating ends it. */
export function spin(channel: string): number {
  new BroadcastChannel(channel).postMessage("started");
  for (;;) { /* busy */ }
}

/** Throws from a timer, outside the task: an uncaught error in the worker. */
export function crashLater(): Promise<never> {
  setTimeout(() => {
    throw new Error("boom from a timer");
  }, 1);
  return new Promise(() => {});
}
