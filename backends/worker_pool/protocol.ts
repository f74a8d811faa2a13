/**
 * What the pool and its workers agree on: the job message, the worker's
 * Comlink API and the states of the shared claim cells.
 *
 * A job's claim cell decides races between the worker starting a job it
 * already holds and the pool taking that job back (to cancel it or give it
 * to an idle worker): both sides compare-and-swap from `PENDING`, and the
 * winner alone decides.
 *
 * @module
 */

/** The job is in the worker's hands and has not started. */
export const PENDING = 0;
/** The worker started the job. */
export const STARTED = 1;
/** The pool took the job back before it started; the worker skips it. */
export const WITHDRAWN = 2;
/** The job finished in the worker; its result is on its way. */
export const FINISHED = 3;

/** Claim cells per worker: more than the jobs a worker can hold at once. */
export const CLAIM_SLOTS = 8;

/** One function call sent to a worker. */
export interface JobMessage {
  /** Index of the job's claim cell. */
  slot: number;
  /** Index of the task module in the list given to `init`. */
  module: number;
  /** The export to call. */
  name: string;
  /** The arguments, by structured clone (or transfer). */
  args: unknown[];
}

/** The API a worker exposes through Comlink. */
export interface WorkerApi {
  /** Gives the worker its task modules and claim cells, and starts loading the modules. */
  init(modules: string[], cells: SharedArrayBuffer): void;
  /**
   * Runs one job after the jobs sent before it: resolves with the function's
   * value, rejects with its error, resolves `undefined` for a withdrawn job.
   */
  run(job: JobMessage): Promise<unknown>;
}

/** A note a worker posts outside Comlink just before it exits on purpose. */
export interface ExitNote {
  /** Marks the note. */
  asyncflowWorkerExit: true;
  /** How it was asked to exit: `process.exit(3)`, `close()`. */
  how: string;
}

/** Whether a message is an {@linkcode ExitNote}. */
export function isExitNote(data: unknown): data is ExitNote {
  return typeof data === "object" && data !== null &&
    (data as Partial<ExitNote>).asyncflowWorkerExit === true;
}
