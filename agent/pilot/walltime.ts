/**
 * The end of the pilot's allocation: when Slurm will end the job, what a task that declares how
 * long it runs (`resources.walltimeMs`) may still start, when to stop starting tasks (drain), and
 * when to end what still runs so that its report reaches the client before Slurm ends the agent.
 *
 * @module
 */
import process from "node:process";
import { runSlurm, type SlurmCliOptions } from "./_slurm_cli.ts";

/**
 * A task met the end of its pilot's allocation: refused because its declared walltime cannot fit
 * in what is left (a `failed` task), or cancelled because the pilot drains or its allocation ends
 * (a `cancelled` task, not charged to its retries). Either way another pilot can run it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WalltimeError } from "@asyncflow/asyncflow/agent/pilot";
 * const e = new WalltimeError("t1 cannot fit", Date.UTC(2026, 11, 1, 14));
 * assert.equal(e.name, "WalltimeError");
 * assert.equal(e.endsAt, Date.UTC(2026, 11, 1, 14));
 * ```
 */
export class WalltimeError extends Error {
  /** When the allocation ends, in ms since the epoch. */
  readonly endsAt: number;
  /**
   * Makes the error.
   *
   * @param message What happened, with the task and the times.
   * @param endsAt When the allocation ends, in ms since the epoch.
   */
  constructor(message: string, endsAt: number) {
    super(message);
    this.name = "WalltimeError";
    this.endsAt = endsAt;
  }
}

/**
 * When the Slurm job this process runs in ends, in ms since the epoch: `SLURM_JOB_END_TIME`
 * (seconds, set by newer Slurm), else the end time `squeue` gives for `SLURM_JOB_ID`.
 *
 * @param env The environment; default this process's.
 * @returns The end, or `undefined` outside a Slurm job or for a job without a time limit.
 * @throws {Error} When squeue fails or prints something that is not a time.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { allocationEnd } from "@asyncflow/asyncflow/agent/pilot";
 * assert.equal(await allocationEnd({ SLURM_JOB_END_TIME: "1796130000" }), 1796130000_000);
 * assert.equal(await allocationEnd({}), undefined);
 * ```
 */
export async function allocationEnd(
  env: Record<string, string | undefined> = process.env,
  options: SlurmCliOptions = {},
): Promise<number | undefined> {
  const end = env.SLURM_JOB_END_TIME?.trim();
  if (end !== undefined && /^\d+$/.test(end)) return Number(end) * 1000;
  const job = env.SLURM_JOB_ID?.trim();
  if (job === undefined || !/^\d+$/.test(job)) return undefined;
  return await jobEnd(job, options);
}

/**
 * When Slurm will end job `job` now, in ms since the epoch, from `squeue`: unlike
 * `SLURM_JOB_END_TIME`, which is fixed when the job starts, it follows a time limit changed
 * while the job runs (`scontrol update JobId=… TimeLimit=…`).
 *
 * @param job The job's id.
 * @param options Where Slurm's tools are.
 * @returns The end, or `undefined` for a job without a time limit.
 * @throws {Error} When squeue fails or prints something that is not a time.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { jobEnd } from "./walltime.ts";
 * // A stand-in squeue that prints what Slurm's would for a job of one hour more.
 * const bin = mkdtempSync(`${tmpdir()}/slurm-bin-`);
 * writeFileSync(`${bin}/squeue`, "#!/bin/sh\necho 2026-12-01T15:00:00\n");
 * chmodSync(`${bin}/squeue`, 0o755);
 * assert.equal(await jobEnd("42", { slurmBin: bin }), new Date(2026, 11, 1, 15).getTime());
 * ```
 */
export async function jobEnd(
  job: string,
  options: SlurmCliOptions = {},
): Promise<number | undefined> {
  const args = ["-h", "-j", job, "-o", "%e"];
  const r = await runSlurm("squeue", args, options);
  const text = r.stdout.trim();
  if (r.exitCode !== 0) {
    throw new Error(`cannot learn when job ${job} ends: 'squeue ${args.join(" ")}': ${r.stderr}`);
  }
  return parseSlurmTime(text, `the end time of job ${job}`);
}

/**
 * Parses a time as Slurm prints it (`2026-12-01T14:00:00`, the controller's local time).
 *
 * @returns ms since the epoch, or `undefined` for `N/A`, `Unknown`, `NONE` or nothing.
 * @throws {SyntaxError} On anything else.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSlurmTime } from "./walltime.ts";
 * assert.equal(parseSlurmTime("2026-12-01T14:00:00", "x"), new Date(2026, 11, 1, 14).getTime());
 * assert.equal(parseSlurmTime("Unknown", "x"), undefined);
 * ```
 */
export function parseSlurmTime(text: string, what: string): number | undefined {
  if (text === "" || /^(N\/A|Unknown|NONE|INVALID)$/i.test(text)) return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(text);
  if (!m) throw new SyntaxError(`${what} is not a Slurm time: ${JSON.stringify(text)}`);
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as number[];
  return new Date(y!, mo! - 1, d!, h!, mi!, s!).getTime();
}

/**
 * The agent's `walltime` option: when its allocation ends and how long before that it drains and
 * cuts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { WalltimeOptions } from "@asyncflow/asyncflow/agent/pilot";
 * const w: WalltimeOptions = { drainMarginMs: 300_000, cutMarginMs: 30_000 };
 * assert.equal(w.endsAt, undefined); // from Slurm
 * ```
 */
export interface WalltimeOptions {
  /** When the allocation ends, in ms since the epoch. Default: from Slurm ({@linkcode allocationEnd}). */
  endsAt?: number;
  /**
   * With the end from Slurm, how often the agent asks Slurm again (its time limit may change
   * while the job runs), in ms; it also asks on `POST /v1/walltime/refresh`. Default 60 000.
   */
  refreshMs?: number;
  /** See {@linkcode AllocationClockOptions.drainMarginMs}. */
  drainMarginMs?: number;
  /** See {@linkcode AllocationClockOptions.cutMarginMs}. */
  cutMarginMs?: number;
}

/**
 * What the agent's clock is armed with: the options with the end filled in from Slurm when
 * `inSlurm` (and how to ask Slurm for it again), or `undefined` when there is no end to act on. It never fails the agent's start:
 * when Slurm cannot say, the agent runs without a clock and says so on stderr.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { allocationWalltime } from "./walltime.ts";
 * assert.equal(await allocationWalltime(undefined, false), undefined);
 * assert.deepEqual(await allocationWalltime({ endsAt: 5, cutMarginMs: 1 }, false), { endsAt: 5, cutMarginMs: 1 });
 * ```
 */
export async function allocationWalltime(
  options: WalltimeOptions | false | undefined,
  inSlurm: boolean,
  env: Record<string, string | undefined> = process.env,
): Promise<
  | (WalltimeOptions & {
    endsAt: number;
    refresh?: { read: () => Promise<number | undefined>; everyMs: number };
  })
  | undefined
> {
  if (options === false) return undefined;
  if (options?.endsAt !== undefined) return { ...options, endsAt: options.endsAt };
  if (!inSlurm) return undefined;
  try {
    const endsAt = await allocationEnd(env);
    if (endsAt === undefined) return undefined;
    const job = env.SLURM_JOB_ID?.trim();
    // The end Slurm gives can change while the job runs: it is asked for again.
    const refresh = job !== undefined && /^\d+$/.test(job)
      ? { refresh: { read: () => jobEnd(job), everyMs: options?.refreshMs ?? 60_000 } }
      : {};
    return { ...options, endsAt, ...refresh };
  } catch (error) {
    console.error(
      `asyncflow agent: warning: ${(error as Error).message}; the agent does not drain before ` +
        "its allocation ends, and tasks that declare a walltime are not checked against it",
    );
    return undefined;
  }
}

/** Options of {@linkcode AllocationClock}. */
export interface AllocationClockOptions {
  /** When the allocation ends, in ms since the epoch. */
  endsAt: number;
  /** Stop starting tasks this long before the end; queued ones are cancelled. Default 60 000. */
  drainMarginMs?: number;
  /**
   * End what still runs this long before the end, so that its report reaches the client before
   * Slurm ends the agent. Default 10 000; at most `drainMarginMs`.
   */
  cutMarginMs?: number;
  /** Called once, at the drain: cancel what waits ({@linkcode AllocationClock.drainError}). */
  onDrain: () => void;
  /** Called once, at the cut: end what runs ({@linkcode AllocationClock.cutError}). */
  onCut: () => void;
  /** The clock; default `Date.now`. */
  now?: () => number;
}

/**
 * The end of an allocation as the agent acts on it: a task that declares a walltime starts only
 * when it can end before the cut; from the drain on, nothing starts; at the cut, what runs is
 * ended. One timer, re-armed when it fires early (timers may fire late, never early by intent).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AllocationClock } from "@asyncflow/asyncflow/agent/pilot";
 * let now = 0;
 * const clock = new AllocationClock({
 *   endsAt: 100_000, drainMarginMs: 30_000, cutMarginMs: 10_000,
 *   onDrain: () => {}, onCut: () => {}, now: () => now,
 * });
 * assert.equal(clock.refusal("t", 50_000), undefined);
 * const refused = clock.refusal("t", 95_000);
 * assert.equal(refused?.state, "failed");
 * assert.match(refused?.error.message ?? "", /declares a walltime of 95 s/);
 * clock.close();
 * ```
 */
export class AllocationClock {
  readonly #o: AllocationClockOptions;
  readonly #drainMs: number;
  readonly #cutMs: number;
  #endsAt: number;
  readonly #now: () => number;
  #phase: "serving" | "draining" | "cut" = "serving";
  #closed = false;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /**
   * Arms the clock.
   *
   * @throws {RangeError} On margins that are not non-negative numbers.
   */
  constructor(options: AllocationClockOptions) {
    const drain = options.drainMarginMs ?? 60_000;
    const cut = Math.min(options.cutMarginMs ?? 10_000, drain);
    for (const [name, v] of [["drainMarginMs", drain], ["cutMarginMs", cut]] as const) {
      if (!(Number.isFinite(v) && v >= 0)) {
        throw new RangeError(`'${name}' must be a number of ms >= 0, got ${v}`);
      }
    }
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#drainMs = drain;
    this.#cutMs = cut;
    this.#endsAt = options.endsAt;
    this.#arm();
  }

  /** When the allocation ends, in ms since the epoch. */
  get endsAt(): number {
    return this.#endsAt;
  }

  /** When the agent stops starting tasks. */
  get drainsAt(): number {
    return this.#endsAt - this.#drainMs;
  }

  /** When the agent ends what still runs. */
  get cutsAt(): number {
    return this.#endsAt - this.#cutMs;
  }

  /**
   * Moves the end (the job's time limit changed while it runs): the drain and the cut move with
   * it, and what they do happens at once if their time has passed. A pilot that drains already
   * goes on draining (its waiting tasks went to other pilots), though a later end delays its cut.
   *
   * @returns Whether the end changed.
   */
  setEnd(endsAt: number): boolean {
    if (endsAt === this.#endsAt) return false;
    this.#endsAt = endsAt;
    this.#arm();
    return true;
  }

  /** Whether the agent still starts tasks. */
  get draining(): boolean {
    return this.#phase !== "serving";
  }

  /**
   * Whether a task may start now: `undefined` when it may; else `cancelled` while the pilot
   * drains (the task is fine; the pilot is ending) or `failed` when its declared walltime cannot
   * fit in what is left.
   */
  refusal(
    task: string,
    walltimeMs: number | undefined,
  ): { state: "cancelled" | "failed"; error: WalltimeError } | undefined {
    const now = this.#now();
    if (this.#phase !== "serving") return { state: "cancelled", error: this.drainError(task) };
    if (walltimeMs === undefined || now + walltimeMs <= this.cutsAt) return undefined;
    const message = `task '${task}' declares a walltime of ${seconds(walltimeMs)}, but this ` +
      `pilot's allocation ends at ${iso(this.endsAt)} and it stops its tasks at ` +
      `${iso(this.cutsAt)}, ${seconds(Math.max(0, this.cutsAt - now))} from now: run it on a ` +
      "pilot with more time left";
    return { state: "failed", error: new WalltimeError(message, this.endsAt) };
  }

  /** What a task that was not started because the pilot drains is told. */
  drainError(task: string): WalltimeError {
    return new WalltimeError(
      `task '${task}' was not started: this pilot drains (it stopped starting tasks at ` +
        `${iso(this.drainsAt)}; its allocation ends at ${iso(this.endsAt)}); another pilot can ` +
        "run it",
      this.endsAt,
    );
  }

  /** What a task ended by the approaching end of the allocation is told. */
  cutError(task: string): WalltimeError {
    return new WalltimeError(
      `task '${task}' was cut by the end of this pilot's allocation (it ends at ` +
        `${iso(this.endsAt)}; the agent stops what runs at ${iso(this.cutsAt)}); not the task's ` +
        "failure: another pilot can run it again",
      this.endsAt,
    );
  }

  /** The times, for `/v1/metrics`. */
  metrics(): { endsAt: string; drainsAt: string; cutsAt: string; draining: boolean } {
    return {
      endsAt: iso(this.endsAt),
      drainsAt: iso(this.drainsAt),
      cutsAt: iso(this.cutsAt),
      draining: this.draining,
    };
  }

  /** Disarms the clock. */
  close(): void {
    clearTimeout(this.#timer);
    this.#closed = true;
  }

  #arm(): void {
    clearTimeout(this.#timer);
    if (this.#closed) return;
    const now = this.#now();
    if (this.#phase === "serving" && now >= this.drainsAt) {
      this.#phase = "draining";
      this.#o.onDrain();
    }
    if (this.#phase === "draining" && now >= this.cutsAt) {
      this.#phase = "cut";
      this.#o.onCut();
    }
    if (this.#phase === "cut") return;
    const next = this.#phase === "serving" ? this.drainsAt : this.cutsAt;
    // setTimeout holds at most 2^31-1 ms (24.8 days); a longer wait is taken in steps.
    this.#timer = setTimeout(() => this.#arm(), Math.min(Math.max(0, next - now), 2 ** 31 - 1));
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}
