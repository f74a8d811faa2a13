import type { TaskSpec } from "./backend.ts";

/** What one command takes from the machine: cores and GPUs, over all its ranks. */
export interface CommandNeed {
  /** `ranks × coresPerRank`. */
  cores: number;
  /** `ranks × gpusPerRank`. */
  gpus: number;
}

/** What a command got: the GPU indices it owns (for `CUDA_VISIBLE_DEVICES`). */
export interface Grant {
  readonly need: CommandNeed;
  readonly gpuIds: readonly number[];
}

/**
 * The cores, GPUs and process slots of this machine, as the `LocalBackend`
 * hands them to commands: a command starts only when its cores, its GPUs and
 * one of the `processes` slots are all free. GPUs are handed out by index, so
 * two commands never share one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MachineSlots } from "./machine_slots.ts";
 * const m = new MachineSlots({ cores: 4, gpus: 2, processes: 4 });
 * const a = m.take({ cores: 2, gpus: 1 })!;
 * assert.deepEqual(a.gpuIds, [0]);
 * assert.equal(m.take({ cores: 3, gpus: 0 }), undefined); // 2 cores left: it waits
 * m.release(a);
 * assert.ok(m.take({ cores: 3, gpus: 0 }));
 * ```
 */
export class MachineSlots {
  /** The machine's totals. */
  readonly cores: number;
  readonly gpus: number;
  readonly processes: number;
  #freeCores: number;
  #freeProcesses: number;
  readonly #freeGpu: boolean[];

  /** Every core, GPU and process slot free. */
  constructor(total: { cores: number; gpus: number; processes: number }) {
    this.cores = total.cores;
    this.gpus = total.gpus;
    this.processes = total.processes;
    this.#freeCores = total.cores;
    this.#freeProcesses = total.processes;
    this.#freeGpu = Array.from({ length: total.gpus }, () => true);
  }

  /** Why `need` can never run here, or `undefined` when it fits an idle machine. */
  tooBig(need: CommandNeed): string | undefined {
    if (need.cores > this.cores) return `${need.cores} cores, but the machine has ${this.cores}`;
    if (need.gpus > this.gpus) return `${need.gpus} GPUs, but the machine has ${this.gpus}`;
    return undefined;
  }

  /** Takes what `need` asks for, or returns `undefined` (and takes nothing) when it is not free. */
  take(need: CommandNeed): Grant | undefined {
    if (this.#freeProcesses < 1 || this.#freeCores < need.cores) return undefined;
    const gpuIds: number[] = [];
    if (need.gpus > 0) {
      for (let i = 0; i < this.#freeGpu.length && gpuIds.length < need.gpus; i++) {
        if (this.#freeGpu[i]) gpuIds.push(i);
      }
      if (gpuIds.length < need.gpus) return undefined;
      for (const i of gpuIds) this.#freeGpu[i] = false;
    }
    this.#freeProcesses--;
    this.#freeCores -= need.cores;
    return { need, gpuIds };
  }

  /** Gives back what a finished command took. */
  release(grant: Grant): void {
    this.#freeProcesses++;
    this.#freeCores += grant.need.cores;
    for (const i of grant.gpuIds) this.#freeGpu[i] = true;
  }
}

/** What a command task needs: its `resources` over all ranks (default one core, no GPU). */
export function needOf(spec: TaskSpec): CommandNeed {
  const r = spec.resources;
  if (r === undefined) return ONE_CORE;
  const ranks = r.ranks ?? 1;
  return { cores: ranks * (r.coresPerRank ?? 1), gpus: ranks * (r.gpusPerRank ?? 0) };
}

const ONE_CORE: CommandNeed = Object.freeze({ cores: 1, gpus: 0 });
