import type { TaskEventType } from "./events.ts";

/**
 * Where a task or block is in the engine, one bit each so that a move's
 * starting phases are one mask. Its future shows a coarser view: `RUNNING`
 * while `running`, the final state once `done`, `failed` or `cancelled`,
 * `PENDING` before.
 */
export const PHASE = {
  new: 1,
  waiting: 2,
  ready: 4,
  queued: 8,
  submitted: 16,
  running: 32,
  done: 64,
  failed: 128,
  cancelled: 256,
} as const;

/** The name of a phase. */
export type PhaseName = keyof typeof PHASE;
/** A phase, as a node holds it. */
export type Phase = (typeof PHASE)[PhaseName];

/** The final phases. */
export const SETTLED: number = PHASE.done | PHASE.failed | PHASE.cancelled;

/** One legal move: the event it emits, the phases it may start from, the phase it ends in. */
export interface MoveRule<M extends TaskEventType = TaskEventType> {
  readonly type: M;
  /** The phases it may start from, as a mask. */
  readonly from: number;
  readonly to: Phase;
}

function rule<M extends TaskEventType>(type: M, from: PhaseName[], to: PhaseName): MoveRule<M> {
  return { type, from: from.reduce((mask, p) => mask | PHASE[p], 0), to: PHASE[to] };
}

const UNFINISHED: PhaseName[] = ["waiting", "ready", "queued", "submitted", "running"];

/**
 * The legal moves of a task's life, each named after the event it emits.
 * `Kernel.move` is the only code that changes a phase, and it refuses a move
 * from a phase its rule does not list.
 *
 * - `created`: the call was made; it waits for its dependencies.
 * - `resolved`: every dependency is done and the arguments hold their values.
 * - `queued`: waiting for a slot of its backend (an executable's body has run).
 * - `submitted`: handed to its backend in a batch.
 * - `running`: the backend started it — or, from `ready`, the engine started a block's body.
 * - `retried`: the attempt failed and will be made again (after its backoff).
 * - `done`: a value — from `ready` when a recorded result stands in for running it (resume).
 * - `failed`, `cancelled`: from any unfinished phase.
 */
export const MOVES = {
  created: rule("created", ["new"], "waiting"),
  resolved: rule("resolved", ["waiting"], "ready"),
  queued: rule("queued", ["ready"], "queued"),
  submitted: rule("submitted", ["queued"], "submitted"),
  running: rule("running", ["submitted", "ready"], "running"),
  retried: rule("retried", ["submitted", "running"], "ready"),
  done: rule("done", ["ready", "submitted", "running"], "done"),
  failed: rule("failed", UNFINISHED, "failed"),
  cancelled: rule("cancelled", UNFINISHED, "cancelled"),
} as const satisfies { [M in TaskEventType]: MoveRule<M> };

/** The name of a phase, for messages. */
export function phaseName(phase: number): string {
  return (Object.keys(PHASE) as PhaseName[]).find((name) => PHASE[name] === phase) ?? `${phase}`;
}
