/**
 * A pool's options checked and completed with their defaults, and the
 * checks of what this runtime allows (Workers, shared memory).
 *
 * @module
 */
import { host } from "../../src/host/mod.ts";
import { workersUnavailable } from "./_runtime.ts";
import { availableMode, type PoolMode } from "./claims.ts";
import { DEEP } from "./hold_depth.ts";
import { count, duration, positiveInteger, type WorkerPoolOptions } from "./options.ts";

/** The options a pool runs with. */
export interface ResolvedPoolOptions {
  name: string;
  modules: readonly (URL | string)[];
  script: URL;
  size: number;
  minWorkers: number;
  idleTimeout: number;
  maxTasksPerWorker: number;
  capacity: number;
  maxMemoryMb: number | undefined;
  processes: number;
  mode: PoolMode;
  measureUsage: boolean | undefined;
}

/**
 * Checks the options and fills in the defaults.
 *
 * @param options What the user gave.
 * @returns The options the pool runs with.
 * @throws {TypeError} When an option is malformed or out of range.
 * @throws {Error} When this runtime has no Workers, or `"shared-memory"` is asked for where there is no `SharedArrayBuffer`.
 */
export function resolvePoolOptions(options: WorkerPoolOptions): ResolvedPoolOptions {
  const missing = workersUnavailable();
  if (missing !== undefined) {
    throw new Error(
      `WorkerPoolBackend cannot run here: ${missing}. Run function tasks on the engine's ` +
        "LocalBackend, or on a RemoteBackend (@asyncflow/asyncflow/remote)",
    );
  }
  if (options === null || typeof options !== "object" || !Array.isArray(options.modules)) {
    throw new TypeError(
      "WorkerPoolBackend: 'modules' must be an array of task module URLs, " +
        `got ${JSON.stringify(options?.modules)}`,
    );
  }
  if (options.workerScript !== undefined && !(options.workerScript instanceof URL)) {
    throw new TypeError(
      `WorkerPoolBackend: 'workerScript' must be a URL, got ${
        JSON.stringify(options.workerScript)
      }`,
    );
  }
  const size = positiveInteger("size", options.size ?? host.cpuCount());
  const minWorkers = count("minWorkers", options.minWorkers ?? 0);
  if (minWorkers > size) {
    throw new TypeError(
      `WorkerPoolBackend: 'minWorkers' (${minWorkers}) exceeds 'size' (${size})`,
    );
  }
  const recycle = options.maxTasksPerWorker ?? Infinity;
  return {
    name: options.name ?? "workers",
    modules: options.modules,
    script: options.workerScript ?? defaultScript(),
    size,
    minWorkers,
    idleTimeout: duration("idleTimeout", options.idleTimeout ?? 30_000),
    maxTasksPerWorker: recycle === Infinity
      ? Infinity
      : positiveInteger("maxTasksPerWorker", recycle),
    capacity: size + count("maxQueue", options.maxQueue ?? DEEP * size),
    maxMemoryMb: options.maxMemoryMb === undefined
      ? undefined
      : positiveInteger("maxMemoryMb", options.maxMemoryMb),
    processes: positiveInteger("processes", options.processes ?? size),
    mode: mode(options.mode),
    measureUsage: optionalBoolean("measureUsage", options.measureUsage),
  };
}

function optionalBoolean(name: string, value: unknown): boolean | undefined {
  if (value === undefined || typeof value === "boolean") return value;
  throw new TypeError(
    `WorkerPoolBackend: '${name}' must be a boolean, got ${JSON.stringify(value)}`,
  );
}

function mode(asked: PoolMode | undefined): PoolMode {
  const available = availableMode();
  if (asked === undefined) return available;
  if (asked !== "shared-memory" && asked !== "messages") {
    throw new TypeError(
      `WorkerPoolBackend: 'mode' must be "shared-memory" or "messages", got ${
        JSON.stringify(asked)
      }`,
    );
  }
  if (asked === "shared-memory" && available === "messages") {
    throw new Error(
      'WorkerPoolBackend: mode "shared-memory" needs SharedArrayBuffer, which this page ' +
        "lacks: serve it cross-origin isolated (Cross-Origin-Opener-Policy: same-origin and " +
        "Cross-Origin-Embedder-Policy: require-corp), or leave 'mode' out to use \"messages\"",
    );
  }
  return asked;
}

/**
 * The pool's own worker script, beside this module. Read when a pool is made,
 * not when the module loads: some runtimes give modules no `import.meta.url`.
 * The packed npm build ships this module as .js beside worker.js: follow this
 * module's own extension.
 */
function defaultScript(): URL {
  const here = import.meta.url;
  if (typeof here !== "string") {
    throw new Error(
      "WorkerPoolBackend: this runtime gives modules no URL, so the worker script cannot be " +
        "found beside the pool: pass 'workerScript'",
    );
  }
  return new URL(here.endsWith(".ts") ? "./worker.ts" : "./worker.js", here);
}
