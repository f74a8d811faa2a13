import type { TaskEventType } from "./events.ts";

/**
 * Where a task or block is in the engine. Its future shows a coarser view:
 * `RUNNING` while `running`, the final state once `done`, `failed` or
 * `cancelled`, `PENDING` before.
 */
export type Phase =
  | "new"
  | "waiting"
  | "ready"
  | "queued"
  | "submitted"
  | "running"
  | "done"
  | "failed"
  | "cancelled";

/** A move between phases, named after the event it emits. */
export type Move = TaskEventType;

const UNFINISHED = ["waiting", "ready", "queued", "submitted", "running"] as const;

/**
 * The legal moves of a task's life: for each, the phases it may start from and
 * the phase it ends in. `Kernel.move` is the only code that changes a phase,
 * and it refuses any move that is not in this table.
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
  created: { from: ["new"], to: "waiting" },
  resolved: { from: ["waiting"], to: "ready" },
  queued: { from: ["ready"], to: "queued" },
  submitted: { from: ["queued"], to: "submitted" },
  running: { from: ["submitted", "ready"], to: "running" },
  retried: { from: ["submitted", "running"], to: "ready" },
  done: { from: ["ready", "submitted", "running"], to: "done" },
  failed: { from: UNFINISHED, to: "failed" },
  cancelled: { from: UNFINISHED, to: "cancelled" },
} as const satisfies Record<Move, { from: readonly Phase[]; to: Phase }>;

/** `LEGAL[move][phase]`: whether `move` may start from `phase` (the table, as a lookup). */
export const LEGAL: Readonly<Record<Move, Readonly<Partial<Record<Phase, true>>>>> = Object
  .fromEntries(
    Object.entries(MOVES).map((
      [move, { from }],
    ) => [move, Object.fromEntries(from.map((p) => [p, true]))]),
  ) as Record<Move, Partial<Record<Phase, true>>>;

/** Whether a phase is final. */
export function isSettledPhase(phase: Phase): boolean {
  return phase === "done" || phase === "failed" || phase === "cancelled";
}
