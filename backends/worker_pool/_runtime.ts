/**
 * The one place where runtimes differ for the worker pool. Deno and Bun have
 * the web `Worker`; Node has `worker_threads`, reached through Comlink's
 * node adapter. Each side gets a Comlink endpoint and a way to learn that a
 * worker died, whatever the runtime reports (`error`, `exit`, Bun's `close`).
 *
 * @module
 */
import type { Endpoint } from "comlink";
import nodeAdapter from "comlink/dist/esm/node-adapter.mjs";
import { parentPort, Worker as NodeWorker } from "node:worker_threads";

// Deno reads the adapter's .d.ts as CommonJS and types the default import as
// the whole module; at run time it is the function on every runtime.
const nodeEndpoint = nodeAdapter as unknown as (
  port: NodeWorker | NonNullable<typeof parentPort>,
) => Endpoint;

const g = globalThis as Record<string, unknown>;
/** Whether this runtime has the web-standard `Worker` (Deno, Bun). */
const webWorkers = typeof g.Deno === "object" || typeof g.Bun === "object";

/** A started worker, seen from the pool. */
export interface SpawnedWorker {
  /** The Comlink endpoint of the worker. */
  readonly endpoint: Endpoint;
  /** Stops the worker; resolves when it is gone. */
  terminate(): Promise<void>;
}

/** How the pool hears about a worker. */
export interface WorkerListeners {
  /** A message that is not Comlink's (the worker's exit note). */
  message(data: unknown): void;
  /** The worker died or cannot go on: an uncaught error, a failed load, an exit. */
  death(why: string): void;
}

/** Extra options for a worker. */
export interface SpawnOptions {
  /** The worker's name, shown in debuggers and stack traces. */
  name: string;
  /** Node only: the worker's heap limit in MiB (an out-of-memory ends only the worker). */
  maxMemoryMb?: number;
}

/**
 * Starts a module worker.
 *
 * @param url The worker script.
 * @param options Name and memory limit.
 * @param on Receives exit notes and the worker's death.
 * @returns The worker's endpoint and its `terminate`.
 */
export function spawnWorker(url: URL, options: SpawnOptions, on: WorkerListeners): SpawnedWorker {
  if (webWorkers) {
    const worker = new Worker(url, { type: "module", name: options.name });
    worker.addEventListener("error", (event) => {
      event.preventDefault(); // else Deno rethrows the worker's error in this thread
      on.death(event.message || String((event as ErrorEvent).error ?? "unknown error"));
    });
    worker.addEventListener("messageerror", () => on.death("a message from it could not be read"));
    worker.addEventListener("message", (event) => on.message(event.data));
    worker.addEventListener("close", (event) => { // Bun only
      on.death(`it exited with code ${(event as Event & { code?: number }).code ?? "unknown"}`);
    });
    return {
      endpoint: worker,
      terminate: () => {
        worker.terminate();
        return Promise.resolve();
      },
    };
  }
  const worker = new NodeWorker(url, {
    name: options.name,
    ...(options.maxMemoryMb !== undefined
      ? { resourceLimits: { maxOldGenerationSizeMb: options.maxMemoryMb } }
      : {}),
  });
  worker.on("error", (error: Error) => on.death(error?.message ?? String(error)));
  worker.on("messageerror", () => on.death("a message from it could not be read"));
  worker.on("message", (data: unknown) => on.message(data));
  worker.on("exit", (code: number) => on.death(`it exited with code ${code}`));
  return {
    endpoint: nodeEndpoint(worker),
    terminate: async () => {
      await worker.terminate();
    },
  };
}

/**
 * Inside a worker: the endpoint to the pool, and how to post a note to it.
 *
 * @returns The Comlink endpoint of the worker's side.
 */
export function parentEndpoint(): Endpoint {
  if (webWorkers) return globalThis as unknown as Endpoint;
  if (parentPort === null) throw new Error("worker.ts must run inside a worker thread");
  return nodeEndpoint(parentPort);
}
