/**
 * The one place where runtimes differ for the worker pool. Deno, Bun and
 * browsers have the web `Worker`; Node has `worker_threads`; workerd has
 * neither. Each side gets a way to post messages, to receive them and to
 * learn that a worker died, whatever the runtime reports (`error`, `exit`,
 * Bun's `close`).
 *
 * @module
 */
import type * as workerThreads from "node:worker_threads";
import type nodeProcess from "node:process";
import { runtime } from "../../src/host/mod.ts";

/** Whether this runtime has the web-standard `Worker` (Deno, Bun, browsers). */
const webWorkers = runtime !== "node" && typeof globalThis.Worker === "function";

/**
 * Node's `worker_threads`, looked up on first use rather than imported, so
 * that this module loads where there is no `node:` module (browsers, workerd).
 */
function nodeWorkerThreads(): typeof workerThreads {
  const process = (globalThis as unknown as { process: typeof nodeProcess }).process;
  return process.getBuiltinModule("node:worker_threads");
}

/**
 * Why this runtime cannot run the pool's workers, or `undefined` when it can.
 *
 * @returns The reason, for an error message.
 */
export function workersUnavailable(): string | undefined {
  if (webWorkers || runtime === "node") return undefined;
  return `${runtime} has no Worker (nor worker_threads)`;
}

/**
 * Posts one message; the buffers in `transfer` move instead of being copied.
 * An empty list is not passed on: a transfer list, even empty, makes Node's
 * `postMessage` slower.
 */
export type Post = (message: unknown, transfer: ArrayBuffer[]) => void;

/** A started worker, seen from the pool. */
export interface SpawnedWorker {
  /** Posts a message to the worker; throws a `DataCloneError` when it cannot be cloned. */
  readonly post: Post;
  /** Stops the worker; resolves when it is gone. */
  terminate(): Promise<void>;
}

/** How the pool hears about a worker. */
export interface WorkerListeners {
  /** A message from the worker. */
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
 * @param on Receives the worker's messages and its death.
 * @returns How to post to the worker, and its `terminate`.
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
      post: (message, transfer) =>
        transfer.length > 0 ? worker.postMessage(message, transfer) : worker.postMessage(message),
      terminate: () => {
        worker.terminate();
        return Promise.resolve();
      },
    };
  }
  const worker = new (nodeWorkerThreads().Worker)(url, {
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
    post: (message, transfer) =>
      transfer.length > 0 ? worker.postMessage(message, transfer) : worker.postMessage(message),
    terminate: async () => {
      await worker.terminate();
    },
  };
}

/** Inside a worker: how to talk to the pool. */
export interface ParentPort {
  /** Posts a message to the pool; throws a `DataCloneError` when it cannot be cloned. */
  readonly post: Post;
  /** Calls `handler` with every message from the pool. */
  listen(handler: (data: unknown) => void): void;
}

/**
 * Inside a worker: the port to the pool.
 *
 * @returns How to post to the pool and receive its messages.
 * @throws {Error} When not called inside a worker.
 */
export function parentPortOf(): ParentPort {
  if (webWorkers) {
    const self = globalThis as unknown as {
      postMessage(message: unknown, transfer?: ArrayBuffer[]): void;
      addEventListener(type: "message", listener: (event: MessageEvent) => void): void;
    };
    return {
      post: (message, transfer) =>
        transfer.length > 0 ? self.postMessage(message, transfer) : self.postMessage(message),
      listen: (handler) => self.addEventListener("message", (event) => handler(event.data)),
    };
  }
  const port = nodeWorkerThreads().parentPort;
  if (port === null) throw new Error("worker.ts must run inside a worker thread");
  return {
    post: (message, transfer) =>
      transfer.length > 0 ? port.postMessage(message, transfer) : port.postMessage(message),
    listen: (handler) => void port.on("message", handler),
  };
}
