/**
 * The options and the statistics of the worker pool, and the checks of the
 * options' values.
 *
 * @module
 */
import { type Duration, parseDuration } from "../../src/duration.ts";
import type { PoolMode } from "./claims.ts";
import type { Percentiles } from "./latency_stats.ts";

/**
 * Options of {@linkcode WorkerPoolBackend}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WorkerPoolBackend, type WorkerPoolOptions } from "@asyncflow/asyncflow/worker_pool";
 * const options: WorkerPoolOptions = { modules: [new URL("./tasks.ts", import.meta.url)], size: 2 };
 * assert.equal(new WorkerPoolBackend(options).capacity, 2 + 8 * 2); // size + maxQueue
 * ```
 */
export interface WorkerPoolOptions {
  /** The task modules: every function they export can run as a function task on the pool. */
  modules: readonly (URL | string)[];
  /** The name tasks route to. Default `"workers"`. */
  name?: string;
  /** The most workers at once. Default: the number of cores. */
  size?: number;
  /** Workers kept started even when idle. Default 0. */
  minWorkers?: number;
  /**
   * An idle worker above `minWorkers` ends after this long (ms, or a string such as `"30s"`).
   * Default 30 000; `Infinity` keeps it.
   */
  idleTimeout?: Duration;
  /** Tasks the pool holds beyond one per worker; the engine keeps the rest. Default `8 × size`. */
  maxQueue?: number;
  /** A worker is replaced after running this many tasks. Default `Infinity`. */
  maxTasksPerWorker?: number;
  /** How many executable tasks run at once (as subprocesses). Default `size`. */
  processes?: number;
  /** Node only: each worker's heap limit in MiB; running out ends only that worker. */
  maxMemoryMb?: number;
  /**
   * The worker script. Default: the pool's own `worker.ts` (or `.js`) beside this module.
   * Bundles that embed it elsewhere (e.g. `bun build --compile`) point here.
   */
  workerScript?: URL;
  /**
   * How jobs are claimed (see {@linkcode PoolMode}). Default: `"shared-memory"` where
   * `SharedArrayBuffer` exists, else `"messages"`. `"shared-memory"` on a page that is not
   * cross-origin isolated is refused.
   */
  mode?: PoolMode;
  /**
   * Measure each function task: its wall time and the CPU time of its Worker's thread while it
   * ran (`process.threadCpuUsage()`, on Deno, Bun and Node 23.9+), as `startedAt`, `endedAt` and
   * `cpuMs` in its `ExecutionRecord`; and each command's, as the `LocalBackend` does. Default:
   * when the run is recorded. Off, a job costs nothing more.
   */
  measureUsage?: boolean;
}

/**
 * A snapshot of a pool, from {@linkcode WorkerPoolBackend.stats}. Times in ms.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WorkerPoolBackend, type WorkerPoolStats } from "@asyncflow/asyncflow/worker_pool";
 * const show = (s: WorkerPoolStats) => `${s.busy}/${s.workers} busy, ${s.queued} queued`;
 * const pool = new WorkerPoolBackend({ modules: [], size: 2 });
 * assert.equal(show(pool.stats()), "0/0 busy, 0 queued"); // no worker starts before attach
 * ```
 */
export interface WorkerPoolStats {
  /** Workers started and not ended. */
  workers: number;
  /** Workers running a task. */
  busy: number;
  /** Workers waiting for one. */
  idle: number;
  /** Function tasks the pool holds that have not started. */
  queued: number;
  /** Function tasks finished with a value. */
  completed: number;
  /** Function tasks finished with an error (a crash included). */
  failed: number;
  /** Workers that died on their own (crash, exit, out-of-memory). */
  crashed: number;
  /** Workers ended by cancellation, recycling or idleness. */
  retired: number;
  /** How long function tasks ran, over the recent ones. */
  runTime: Percentiles;
  /** How long function tasks waited in the pool before a worker started them. */
  waitTime: Percentiles;
}

/** `value`, checked to be a positive integer. */
export function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new TypeError(`WorkerPoolBackend: '${name}' must be a positive integer, got ${value}`);
  }
  return value;
}

/** `value`, checked to be a non-negative integer. */
export function count(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new TypeError(
      `WorkerPoolBackend: '${name}' must be a non-negative integer, got ${value}`,
    );
  }
  return value;
}

/** `value` in ms, by the one duration syntax (zero allowed), or `Infinity`. */
export function duration(name: string, value: Duration): number {
  if (value === Infinity) return value;
  return parseDuration(value, name, "WorkerPoolBackend", { zero: true });
}
