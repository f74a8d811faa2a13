/**
 * How the pool and a worker agree on who owns a job the worker holds but has
 * not started: a claim cell in shared memory, or, where there is no
 * `SharedArrayBuffer` (a browser page that is not cross-origin isolated),
 * the messages themselves.
 *
 * @module
 */
import { PENDING, STARTED, WITHDRAWN } from "./protocol.ts";

/**
 * How a pool claims jobs.
 *
 * - `"shared-memory"`: each job has a claim cell in a `SharedArrayBuffer`;
 *   a worker holds several jobs ahead, and the pool can take back one that
 *   has not started (to cancel it, or to give it to an idle worker).
 * - `"messages"`: no shared memory; a job is claimed by the worker the moment
 *   it is sent, so the pool sends each worker only the job it runs (one
 *   message round trip per task, no jobs held ahead), and cancelling a sent
 *   job terminates its worker.
 */
export type PoolMode = "shared-memory" | "messages";

/**
 * The mode this runtime allows: shared memory when `SharedArrayBuffer`
 * exists (always on Deno, Bun and Node; on a browser page only when it is
 * cross-origin isolated, with COOP and COEP headers).
 *
 * @returns The mode.
 */
export function availableMode(): PoolMode {
  const g = globalThis as { crossOriginIsolated?: boolean };
  return typeof SharedArrayBuffer === "function" && g.crossOriginIsolated !== false
    ? "shared-memory"
    : "messages";
}

/** The claim cells of one worker, seen from the pool. */
export interface Claims {
  /** What the worker is given at start: the shared cells, or `null` in `"messages"` mode. */
  readonly buffer: SharedArrayBuffer | null;
  /** A job is about to be sent in `slot`. */
  pending(slot: number): void;
  /** Takes the job in `slot` back if it has not started; whether it did. */
  withdraw(slot: number): boolean;
  /** The claim state of `slot` (`STARTED`, `FINISHED`, ...). */
  state(slot: number): number;
}

/**
 * The claim cells of one worker.
 *
 * @param mode The pool's mode.
 * @param slots How many cells.
 * @returns The cells.
 */
export function claimsFor(mode: PoolMode, slots: number): Claims {
  if (mode === "messages") {
    // A sent job may already run: it cannot be taken back, and nothing says it finished.
    return { buffer: null, pending: () => {}, withdraw: () => false, state: () => STARTED };
  }
  const buffer = new SharedArrayBuffer(slots * Int32Array.BYTES_PER_ELEMENT);
  const cells = new Int32Array(buffer);
  return {
    buffer,
    pending: (slot) => Atomics.store(cells, slot, PENDING),
    withdraw: (slot) => Atomics.compareExchange(cells, slot, PENDING, WITHDRAWN) === PENDING,
    state: (slot) => Atomics.load(cells, slot),
  };
}
