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

/**
 * Says it started on a BroadcastChannel, then never returns: only terminating ends it. It spins
 * from the next turn of the worker's loop, so that the message has that turn to leave (once, in
 * CI, the page never heard it).
 */
export function spin(channel: string): Promise<never> {
  new BroadcastChannel(channel).postMessage("started");
  return new Promise(() => {
    setTimeout(() => {
      for (;;) { /* busy */ }
    }, 0);
  });
}

/** Throws from a timer, outside the task: an uncaught error in the worker. */
export function crashLater(): Promise<never> {
  setTimeout(() => {
    throw new Error("boom from a timer");
  }, 1);
  return new Promise(() => {});
}
