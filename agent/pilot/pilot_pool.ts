/**
 * Several pilots serving one campaign, as one backend: tasks go to the first pilot with room;
 * what a pilot gives back because it ends — cancelled at its drain or cut by its walltime, or
 * because its job ended under it (`scancel`, preemption) — or refuses because its walltime is
 * too short goes to the others, without reaching the engine's retry budget. A pilot added later
 * (`add`) takes its share of what waits.
 *
 * @module
 */
import type { Backend, BackendContext, TaskSpec } from "../../src/backend.ts";
import { readEndpointFile } from "../../backends/remote/connection.ts";
import { agentFetch } from "../../backends/remote/http.ts";
import { RemoteBackend, type RemoteBackendOptions } from "../../backends/remote/remote_backend.ts";

/** Options of {@linkcode PilotPool}. */
export interface PilotPoolOptions {
  /** The name tasks route to. Default `"pilots"`. */
  name?: string;
  /** Task modules, as for `RemoteBackend`. */
  modules?: Record<string, string | URL>;
  /**
   * Tasks a pilot holds beyond its cores, waiting on the agent (so that a freed core is filled
   * without a round trip). Default: as many as its cores.
   */
  queueDepth?: number;
  /** Further options of each pilot's `RemoteBackend`. */
  remote?: Omit<RemoteBackendOptions, "url" | "token" | "endpointFile" | "name" | "modules">;
}

interface Pilot {
  readonly file: string;
  readonly backend: RemoteBackend;
  /** How many tasks it holds at once: its cores plus the queue depth. */
  readonly room: number;
  readonly held: Set<string>;
  /** Why it takes no more work (it drains or ended), or undefined while it does. */
  closed?: string;
}

interface Entry {
  spec: TaskSpec;
  /** The pilots that refused it for lack of walltime. */
  refusedBy: Set<Pilot>;
  where?: Pilot;
}

/** The error of a task that is given back because its pilot ends (drain, cut, refusal). */
const isWalltime = (e: unknown) => (e as Error | undefined)?.name === "WalltimeError";
/** The error of a task cancelled because its pilot's job ended (see `job_end.ts`). */
const isJobEnd = (e: unknown) => (e as Error | undefined)?.name === "PilotEndedError";
/** RemoteBackend's error for an agent that stopped answering (see its `unreachableAfter`). */
const isUnreachable = (e: unknown) =>
  /^RemoteBackend '.*': the agent at \S+ has not answered for more than/.test(
    (e as Error | undefined)?.message ?? "",
  );

/**
 * A backend over several pilots' agents, each reached from its endpoint file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PilotPool } from "@asyncflow/asyncflow/agent/pilot";
 * const pool = new PilotPool(["/scratch/me/p1/endpoint.json", "/scratch/me/p2/endpoint.json"]);
 * assert.equal(pool.name, "pilots");
 * ```
 */
export class PilotPool implements Backend {
  /** The name tasks route to. */
  readonly name: string;
  readonly #files: string[];
  readonly #o: PilotPoolOptions;
  readonly #pilots: Pilot[] = [];
  readonly #entries = new Map<string, Entry>();
  /** Tasks no pilot holds, in arrival order (given-back tasks first). */
  #waiting: Entry[] = [];
  readonly #running = new Set<string>();
  #ctx: BackendContext | undefined;

  /**
   * Makes a pool; nothing is contacted until the engine attaches it.
   *
   * @param endpointFiles The pilots' `endpoint.json` files.
   * @param options The name, task modules, queue depth and the pilots' client options.
   */
  constructor(endpointFiles: readonly string[], options: PilotPoolOptions = {}) {
    this.name = options.name ?? "pilots";
    this.#files = [...endpointFiles];
    this.#o = options;
  }

  /** Connects to every pilot. */
  async attach(ctx: BackendContext): Promise<void> {
    this.#ctx = ctx;
    for (const file of this.#files) await this.add(file);
  }

  /**
   * Adds a pilot (a new one, while another drains): it takes its share of the waiting tasks.
   *
   * @throws {Error} When its agent cannot be reached.
   */
  async add(endpointFile: string): Promise<void> {
    const ctx = this.#ctx;
    if (ctx === undefined) {
      this.#files.push(endpointFile);
      return;
    }
    const metrics = await (await agentFetch(readEndpointFile(endpointFile), "/v1/metrics", {}))
      .json() as { free?: { cores?: number } };
    const cores = Math.max(1, metrics.free?.cores ?? 1);
    const backend = new RemoteBackend({
      ...this.#o.remote,
      endpointFile,
      name: `${this.name}/${this.#pilots.length + 1}`,
      ...(this.#o.modules ? { modules: this.#o.modules } : {}),
    });
    const pilot: Pilot = {
      file: endpointFile,
      backend,
      room: cores + (this.#o.queueDepth ?? cores),
      held: new Set(),
    };
    await backend.attach(this.#reportsOf(pilot, ctx));
    this.#pilots.push(pilot);
    this.#dispatch();
  }

  /** The pilots, with how many tasks each holds and why it takes no more. */
  get pilots(): { endpointFile: string; held: number; room: number; closed?: string }[] {
    return this.#pilots.map((p) => ({
      endpointFile: p.file,
      held: p.held.size,
      room: p.room,
      ...(p.closed !== undefined ? { closed: p.closed } : {}),
    }));
  }

  /** Takes a batch: each task goes to the first pilot with room, or waits for one. */
  submit(tasks: readonly TaskSpec[]): void {
    for (const spec of tasks) {
      const entry: Entry = { spec, refusedBy: new Set() };
      this.#entries.set(spec.id, entry);
      this.#waiting.push(entry);
    }
    this.#dispatch();
  }

  /** Cancels a task, where it waits or on its pilot. */
  cancel(id: string): void {
    const entry = this.#entries.get(id);
    if (entry === undefined) return;
    this.#forget(entry);
    if (entry.where) entry.where.backend.cancel(id);
    else this.#waiting = this.#waiting.filter((e) => e !== entry);
  }

  /** Ends every pilot's session. */
  async shutdown(): Promise<void> {
    this.#waiting = [];
    this.#entries.clear();
    await Promise.all(this.#pilots.map((p) => p.backend.shutdown()));
  }

  #dispatch(): void {
    const batches = new Map<Pilot, TaskSpec[]>();
    const still: Entry[] = [];
    for (const entry of this.#waiting) {
      const pilot = this.#pilots.find((p) =>
        p.closed === undefined && p.held.size < p.room && !entry.refusedBy.has(p)
      );
      if (pilot === undefined) {
        still.push(entry);
        continue;
      }
      entry.where = pilot;
      pilot.held.add(entry.spec.id);
      batches.set(pilot, [...batches.get(pilot) ?? [], entry.spec]);
    }
    this.#waiting = still;
    for (const [pilot, specs] of batches) pilot.backend.submit(specs);
    this.#giveUpOnStranded();
  }

  /** A task no open pilot can take, and none ever will: it ends, not the engine's retry. */
  #giveUpOnStranded(): void {
    const open = this.#pilots.filter((p) => p.closed === undefined);
    if (this.#pilots.length === 0) return; // pilots may still be added
    for (const entry of [...this.#waiting]) {
      if (open.some((p) => !entry.refusedBy.has(p))) continue;
      this.#waiting = this.#waiting.filter((e) => e !== entry);
      this.#forget(entry);
      const why = this.#pilots.map((p, i) =>
        `pilot ${i + 1} (${p.file}): ${
          entry.refusedBy.has(p) ? "its walltime is too short" : p.closed ?? "open"
        }`
      ).join("; ");
      this.#ctx!.cancelled(
        entry.spec.id,
        new Error(`no pilot of '${this.name}' can run it: ${why}; add a pilot (pool.add)`),
      );
    }
  }

  #forget(entry: Entry): void {
    this.#entries.delete(entry.spec.id);
    this.#running.delete(entry.spec.id);
    entry.where?.held.delete(entry.spec.id);
  }

  /** Gives a task back to the waiting line (first in it), off `pilot`. */
  #giveBack(pilot: Pilot, entry: Entry): void {
    pilot.held.delete(entry.spec.id);
    delete entry.where;
    this.#waiting.unshift(entry);
  }

  /** What `pilot`'s backend reports, filtered: what a pilot gives back goes to another. */
  #reportsOf(pilot: Pilot, ctx: BackendContext): BackendContext {
    const mine = (id: string) => {
      const entry = this.#entries.get(id);
      return entry?.where === pilot ? entry : undefined;
    };
    return {
      engineUid: ctx.engineUid,
      workDir: ctx.workDir,
      running: (id, where) => {
        // A task moved to another pilot starts again there; the engine heard it once.
        if (mine(id) === undefined || this.#running.has(id)) return;
        this.#running.add(id);
        ctx.running(id, where);
      },
      done: (id, value) => {
        const entry = mine(id);
        if (entry === undefined) return;
        this.#forget(entry);
        ctx.done(id, value);
        this.#dispatch();
      },
      failed: (id, error) => {
        const entry = mine(id);
        if (entry === undefined) return;
        if (isWalltime(error)) { // refused: too long for this pilot, perhaps not for another
          entry.refusedBy.add(pilot);
          this.#giveBack(pilot, entry);
        } else if (!this.#running.has(id) && isUnreachable(error)) {
          // The pilot ended (cancelled, or its job died) before this task started there.
          pilot.closed ??= (error as Error).message;
          this.#giveBack(pilot, entry);
        } else {
          this.#forget(entry);
          ctx.failed(id, error);
        }
        this.#dispatch();
      },
      cancelled: (id, reason) => {
        const entry = mine(id);
        if (entry === undefined) return;
        if (isWalltime(reason) || isJobEnd(reason)) { // the pilot drains or ends: nothing more
          pilot.closed ??= (reason as Error).message;
          this.#giveBack(pilot, entry);
        } else {
          this.#forget(entry);
          ctx.cancelled(id, reason);
        }
        this.#dispatch();
      },
    };
  }
}
