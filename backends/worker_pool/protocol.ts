/**
 * What the pool and its workers say to each other over `postMessage`, and
 * the states of the shared claim cells.
 *
 * The protocol is a handful of flat arrays, tagged by their first element:
 * the pool sends one {@linkcode InitMessage} and then {@linkcode JobsMessage}s
 * carrying several jobs each; the worker answers every job, in the order it
 * received them, with one message (see {@linkcode FromWorker}). Flat arrays of numbers
 * and strings are the cheapest thing to clone, and needing no request ids,
 * the protocol allocates almost nothing per task.
 *
 * A job's claim cell decides races between the worker starting a job it
 * already holds and the pool taking that job back (to cancel it or give it
 * to an idle worker): both sides compare-and-swap from `PENDING`, and the
 * winner alone decides. Without shared memory (`claims.ts`, mode
 * `"messages"`) there are no cells: the worker starts every job it receives,
 * and the pool sends it only one at a time.
 *
 * @module
 */

/** The job is in the worker's hands and has not started. */
export const PENDING = 0;
/** The worker started the job. */
export const STARTED = 1;
/** The pool took the job back before it started; the worker skips it. */
export const WITHDRAWN = 2;
/** The job finished in the worker; its answer is on its way. */
export const FINISHED = 3;

/** Claim cells per worker: more than the jobs a worker can hold at once. */
export const CLAIM_SLOTS = 16;

/** Tag: the pool's first message, {@linkcode InitMessage}. */
export const INIT = 0;
/** Tag: jobs to run, {@linkcode JobsMessage}. */
export const JOBS = 1;

/**
 * The task modules (by URL), the claim cells (`null` in `"messages"`
 * mode) and whether to measure each job ({@linkcode JobUsage}); the worker
 * starts loading every module at once.
 */
export type InitMessage = [
  tag: typeof INIT,
  modules: string[],
  cells: SharedArrayBuffer | null,
  measure: boolean,
];

/**
 * Jobs to run after those sent before, four entries each: the claim cell's
 * index, the task module's index, the export's name and the arguments.
 */
export type JobsMessage = [tag: typeof JOBS, ...jobs: unknown[]];

/** Entries per job in a {@linkcode JobsMessage}. */
export const JOB_FIELDS = 4;

/** A message from the pool to a worker. */
export type ToWorker = InitMessage | JobsMessage;

/** Answer: the function returned; the value follows. */
export const OK = 0;
/** Answer: the function threw or rejected; the error follows, then its own fields. */
export const ERROR = 1;
/** Answer: the job was withdrawn and did not run. */
export const SKIPPED = 2;
/** Not an answer: the worker took its init message and can run jobs. */
export const READY = 3;
/** Not an answer: the worker is about to exit on purpose; how follows (`process.exit(3)`). */
export const EXIT = 4;

/**
 * What a measured job used, as the worker saw it: when it started (ms since the epoch), how long
 * it ran (ms, from `performance.now()`), and the CPU time of the worker's thread meanwhile (ms,
 * from `process.threadCpuUsage()`; -1 where the runtime has none).
 */
export type JobUsage = [startedAt: number, wallMs: number, cpuMs: number];

/**
 * What a worker posts: an answer to the oldest job it has not answered
 * (`OK`, `ERROR`, `SKIPPED`, with the job's {@linkcode JobUsage} when the pool
 * measures), or a note (`READY`, `EXIT`).
 */
export type FromWorker =
  | [tag: typeof OK, value: unknown, usage?: JobUsage]
  | [
    tag: typeof ERROR,
    error: unknown,
    fields: Record<string, unknown> | undefined,
    usage?: JobUsage,
  ]
  | [tag: typeof SKIPPED]
  | [tag: typeof READY]
  | [tag: typeof EXIT, how: string];
