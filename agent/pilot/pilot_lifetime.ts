/**
 * How a pilot's job ends, as its agent sees it: the allocation's time limit (refuse what cannot
 * fit, drain, cut; the limit asked for again as the job runs) and the job's end under it (Slurm's
 * SIGTERM after a `scancel`). The agent's core asks it whether a task may start and tells it when
 * the job ends; it tells the core when to end what is unfinished.
 *
 * @module
 */
import process from "node:process";
import type { AgentLog } from "../agent_log.ts";
import type { Allocation } from "../placement/allocation.ts";
import { jobEnding, PilotEndedError } from "./job_end.ts";
import { AllocationClock, type AllocationClockOptions } from "./walltime.ts";
import { WalltimeRefresh, type WalltimeRefreshOptions } from "./walltime_refresh.ts";

/** The allocation's end and how it is followed (`CoreOptions.walltime`). */
export type WalltimeOptions =
  & Pick<AllocationClockOptions, "endsAt" | "drainMarginMs" | "cutMarginMs">
  & {
    refresh?: Pick<WalltimeRefreshOptions, "read" | "everyMs">;
  };

/** What a task may not do now, and the error its event carries. */
export interface Refusal {
  state: "cancelled" | "failed";
  error: Error;
}

/**
 * The end of one pilot's job.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PilotLifetime } from "./pilot_lifetime.ts";
 * import { AgentLog } from "../agent_log.ts";
 * const allocation = { source: "local", nodes: [] } as never;
 * const ended: string[] = [];
 * const life = new PilotLifetime({
 *   allocation,
 *   log: new AgentLog(),
 *   endUnfinished: (upTo) => void ended.push(upTo),
 *   endJob: () => {},
 * });
 * assert.equal(life.refusal("task.000001", undefined), undefined);
 * assert.equal(life.begin((id) => new Error(`${id}: the job ended`)), true);
 * assert.equal(life.refusal("task.000002", undefined)?.state, "cancelled");
 * life.close();
 * ```
 */
export class PilotLifetime {
  /** Set when the agent follows an allocation's end. */
  readonly clock: AllocationClock | undefined;
  /** For the command runner: asks Slurm whether the job is ending, and ends it. */
  readonly job: { ending: () => Promise<boolean>; end: () => void } | undefined;
  readonly #refresh: WalltimeRefresh | undefined;
  /** Set once the job ends: the error of each task cancelled for it. */
  #ending: ((id: string) => Error) | undefined;

  /**
   * @param o The allocation, its end, the log, and what the core does when tasks must end:
   *   `endUnfinished` at the drain (`queued`) and the cut (`running`), `endJob` when a command
   *   that Slurm killed shows that the job is ending.
   */
  constructor(o: {
    allocation: Allocation;
    walltime?: WalltimeOptions;
    log: AgentLog;
    endUnfinished: (upTo: "queued" | "running", error: (id: string) => Error) => void;
    endJob: (error: (id: string) => Error) => void;
  }) {
    // A command Slurm killed as the job ends is the job's end, not the command's failure.
    const jobId = o.allocation.source === "slurm" ? process.env.SLURM_JOB_ID : undefined;
    this.job = jobId === undefined ? undefined : {
      ending: () => jobEnding(jobId),
      end: () => o.endJob((id) => new PilotEndedError(id, jobId, "SIGTERM")),
    };
    // Near the allocation's end: what waits is cancelled at the drain, what runs at the cut.
    const clock = o.walltime && new AllocationClock({
      ...o.walltime,
      onDrain: () => o.endUnfinished("queued", (id) => clock!.drainError(id)),
      onCut: () => o.endUnfinished("running", (id) => clock!.cutError(id)),
    });
    this.clock = clock;
    const refresh = o.walltime?.refresh;
    this.#refresh = clock && refresh && new WalltimeRefresh(clock, {
      ...refresh,
      onChange: (endsAt, before) =>
        o.log.warn("the allocation's end moved", {
          from: new Date(before).toISOString(),
          to: new Date(endsAt).toISOString(),
        }),
      onProblem: (why) => o.log.warn(why),
    });
  }

  /** Whether the job has ended. */
  get ended(): boolean {
    return this.#ending !== undefined;
  }

  /**
   * The job ends: from now on every task is refused with `error(id)`.
   *
   * @returns `false` when it had ended already.
   */
  begin(error: (id: string) => Error): boolean {
    if (this.#ending) return false;
    this.#ending = error;
    this.close();
    return true;
  }

  /**
   * Whether a task may start now: `undefined` when it may; else cancelled (the job ended, or
   * the pilot drains) or failed (its declared walltime cannot fit in what is left).
   */
  refusal(id: string, walltimeMs: number | undefined): Refusal | undefined {
    if (this.#ending) return { state: "cancelled", error: this.#ending(id) };
    return this.clock?.refusal(id, walltimeMs);
  }

  /** The error of a task that leaves the queue too late for its declared walltime. */
  late(id: string, walltimeMs: number | undefined): Error | undefined {
    const refused = this.clock?.refusal(id, walltimeMs);
    return refused?.state === "failed" ? refused.error : undefined;
  }

  /** Asks Slurm for the allocation's end now; the walltime as `/v1/metrics` shows it. */
  async refreshNow(): Promise<ReturnType<AllocationClock["metrics"]> | null> {
    await this.#refresh?.refresh();
    return this.metrics();
  }

  /** The walltime as `/v1/metrics` shows it, or `null` when the agent follows no end. */
  metrics(): ReturnType<AllocationClock["metrics"]> | null {
    return this.clock?.metrics() ?? null;
  }

  /** Stops the timers. */
  close(): void {
    this.clock?.close();
    this.#refresh?.close();
  }
}
