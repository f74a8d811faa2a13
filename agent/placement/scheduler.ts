/**
 * Places ranks × cores × GPUs on the nodes of an allocation, so that two tasks never share a core
 * or a GPU.
 *
 * @module
 */
import type { Allocation } from "./allocation.ts";

/** Where a task runs: one entry per rank, with the core and GPU indices it owns on its node. */
export interface Placement {
  /** One entry per rank, in rank order. */
  ranks: { node: string; cores: number[]; gpus: number[] }[];
}

/** What a task asks for. */
export interface SlotRequest {
  /** Number of ranks (processes); a positive integer. */
  ranks: number;
  /** Cores each rank needs on its node; a positive integer. */
  coresPerRank: number;
  /** GPUs each rank needs on its node; a non-negative integer. */
  gpusPerRank: number;
}

interface NodeState {
  name: string;
  cores: number;
  gpus: number;
  /** 1 where the core is free. */
  freeCore: Uint8Array;
  freeGpu: Uint8Array;
  freeCores: number;
  freeGpus: number;
}

/**
 * First-fit slot scheduler over the nodes of an {@linkcode Allocation}.
 *
 * A rank never spans nodes, but the ranks of one task may: nodes are filled in order, each with
 * as many ranks as fit. A placement is all or nothing. The cost of one placement is O(nodes) plus
 * the cores and GPUs it takes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SlotScheduler } from "@asyncflow/asyncflow/agent/placement";
 * const s = new SlotScheduler({ source: "flags", nodes: [{ name: "n1", cores: 4, gpus: 0 }] });
 * const p = s.place({ ranks: 2, coresPerRank: 2, gpusPerRank: 0 });
 * assert.deepEqual(p?.ranks, [{ node: "n1", cores: [0, 1], gpus: [] }, { node: "n1", cores: [2, 3], gpus: [] }]);
 * assert.equal(s.place({ ranks: 1, coresPerRank: 1, gpusPerRank: 0 }), undefined); // must wait
 * s.release(p!);
 * assert.ok(s.place({ ranks: 1, coresPerRank: 1, gpusPerRank: 0 }));
 * ```
 */
export class SlotScheduler {
  /** The nodes placed on, in order; a disabled node leaves this list. */
  #nodes: NodeState[];
  #byName = new Map<string, NodeState>();
  #freeCores = 0;
  #freeGpus = 0;
  readonly #disabled = new Set<NodeState>();

  /**
   * Makes a scheduler with every core and GPU of the allocation free.
   *
   * @param allocation The nodes to place on.
   * @throws {RangeError} On an empty allocation, duplicate node names or bad counts.
   */
  constructor(allocation: Allocation) {
    if (allocation.nodes.length === 0) throw new RangeError("the allocation has no nodes");
    this.#nodes = allocation.nodes.map(({ name, cores, gpus }) => {
      if (!Number.isSafeInteger(cores) || cores < 0) {
        throw new RangeError(
          `node '${name}' must have a non-negative integer of cores, got ${cores}`,
        );
      }
      if (!Number.isSafeInteger(gpus) || gpus < 0) {
        throw new RangeError(
          `node '${name}' must have a non-negative integer of GPUs, got ${gpus}`,
        );
      }
      if (this.#byName.has(name)) {
        throw new RangeError(`node '${name}' appears twice in the allocation`);
      }
      const node: NodeState = {
        name,
        cores,
        gpus,
        freeCore: new Uint8Array(cores).fill(1),
        freeGpu: new Uint8Array(gpus).fill(1),
        freeCores: cores,
        freeGpus: gpus,
      };
      this.#byName.set(name, node);
      this.#freeCores += cores;
      this.#freeGpus += gpus;
      return node;
    });
  }

  /**
   * Places a request, taking its cores and GPUs.
   *
   * @returns The placement, or `undefined` when it fits the allocation but not what is free now.
   * @throws {RangeError} On a malformed request, or one that could never fit even on an idle
   * allocation; the message names what does not fit.
   */
  place(req: SlotRequest): Placement | undefined {
    checkRequest(req);
    const { ranks, coresPerRank, gpusPerRank } = req;
    if (ranks * coresPerRank > this.#freeCores || ranks * gpusPerRank > this.#freeGpus) {
      this.#checkFitsWhenIdle(req);
      return undefined;
    }
    // First pass counts, so that a request that does not fit now changes nothing.
    const take: [NodeState, number][] = [];
    let left = ranks;
    for (const node of this.#nodes) {
      const n = Math.min(left, fitting(node.freeCores, node.freeGpus, req));
      if (n > 0) {
        take.push([node, n]);
        left -= n;
        if (left === 0) break;
      }
    }
    if (left > 0) {
      this.#checkFitsWhenIdle(req);
      return undefined;
    }
    const placed: Placement["ranks"] = [];
    for (const [node, n] of take) {
      for (let r = 0; r < n; r++) {
        placed.push({
          node: node.name,
          cores: takeSlots(node.freeCore, coresPerRank),
          gpus: takeSlots(node.freeGpu, gpusPerRank),
        });
      }
      node.freeCores -= n * coresPerRank;
      node.freeGpus -= n * gpusPerRank;
    }
    this.#freeCores -= ranks * coresPerRank;
    this.#freeGpus -= ranks * gpusPerRank;
    return { ranks: placed };
  }

  /**
   * Gives back what a placement took.
   *
   * @throws {Error} When the placement names an unknown node or a slot that is already free (a
   * double release); nothing is released then.
   */
  release(p: Placement): void {
    for (const rank of p.ranks) {
      const node = this.#byName.get(rank.node);
      if (node === undefined) throw new Error(`cannot release: unknown node '${rank.node}'`);
      for (const c of rank.cores) {
        if (node.freeCore[c] !== 0) {
          throw new Error(`cannot release: core ${c} on node '${node.name}' is not taken`);
        }
      }
      for (const g of rank.gpus) {
        if (node.freeGpu[g] !== 0) {
          throw new Error(`cannot release: GPU ${g} on node '${node.name}' is not taken`);
        }
      }
    }
    for (const rank of p.ranks) {
      const node = this.#byName.get(rank.node) as NodeState;
      for (const c of rank.cores) node.freeCore[c] = 1;
      for (const g of rank.gpus) node.freeGpu[g] = 1;
      node.freeCores += rank.cores.length;
      node.freeGpus += rank.gpus.length;
      if (this.#disabled.has(node)) continue; // freed, but not offered again
      this.#freeCores += rank.cores.length;
      this.#freeGpus += rank.gpus.length;
    }
  }

  /**
   * Places nothing more on a node (it was lost). What runs there is released as usual; a
   * request that only that node could hold now fails as one that can never fit.
   *
   * @throws {RangeError} On a node that is not in the allocation.
   */
  disable(name: string): void {
    const node = this.#byName.get(name);
    if (node === undefined) throw new RangeError(`cannot disable unknown node '${name}'`);
    if (this.#disabled.has(node)) return;
    this.#disabled.add(node);
    this.#nodes = this.#nodes.filter((n) => n !== node);
    this.#freeCores -= node.freeCores;
    this.#freeGpus -= node.freeGpus;
  }

  /** The nodes that {@linkcode SlotScheduler.disable} took out. */
  get disabled(): string[] {
    return [...this.#disabled].map((n) => n.name);
  }

  /** Cores and GPUs free now, over all nodes. */
  get free(): { cores: number; gpus: number } {
    return { cores: this.#freeCores, gpus: this.#freeGpus };
  }

  /**
   * Throws when the request could not fit even if nothing else ran. When it would have fitted
   * with the lost nodes, the message names them: that is the reason, not the request's size.
   */
  #checkFitsWhenIdle(req: SlotRequest): void {
    try {
      this.#checkFitsOn(this.#nodes, req);
    } catch (error) {
      if (this.#disabled.size === 0 || this.#nodes.length === 0) throw error;
      const all = [...this.#byName.values()];
      try {
        this.#checkFitsOn(all, req);
      } catch {
        throw error; // too large even for the whole allocation
      }
      const lost = [...this.#disabled].map((n) => n.name);
      throw new RangeError(
        `${(error as Error).message}; it could run only with the lost ` +
          `${lost.length === 1 ? "node" : "nodes"} ${lost.join(", ")}, where the agent places ` +
          "no more work: submit it to a pilot whose nodes can hold it",
      );
    }
  }

  #checkFitsOn(nodes: readonly NodeState[], req: SlotRequest): void {
    const { ranks, coresPerRank, gpusPerRank } = req;
    let maxCores = 0;
    let maxGpus = 0;
    let capacity = 0;
    for (const node of nodes) {
      maxCores = Math.max(maxCores, node.cores);
      maxGpus = Math.max(maxGpus, node.gpus);
      capacity += fitting(node.cores, node.gpus, req);
    }
    if (nodes.length === 0) {
      throw new RangeError(`every node of the allocation was lost (${this.disabled.join(", ")})`);
    }
    if (coresPerRank > maxCores) {
      throw new RangeError(
        `needs ${plural(coresPerRank, "core")} per rank; the largest node has ${maxCores}`,
      );
    }
    if (gpusPerRank > maxGpus) {
      throw new RangeError(
        `needs ${plural(gpusPerRank, "GPU")} per rank; the largest node has ${maxGpus}`,
      );
    }
    if (capacity < ranks) {
      throw new RangeError(
        `needs ${plural(ranks, "rank")} of ${plural(coresPerRank, "core")} and ` +
          `${plural(gpusPerRank, "GPU")}; the allocation of ${plural(nodes.length, "node")} ` +
          `holds at most ${capacity} such ranks`,
      );
    }
  }
}

/** How many ranks of `req` fit in the given free cores and GPUs. */
function fitting(cores: number, gpus: number, req: SlotRequest): number {
  const byCores = Math.floor(cores / req.coresPerRank);
  return req.gpusPerRank === 0 ? byCores : Math.min(byCores, Math.floor(gpus / req.gpusPerRank));
}

/** Takes the `n` lowest free slots; the caller has checked that there are enough. */
function takeSlots(free: Uint8Array, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; out.length < n; i++) {
    if (free[i] === 1) {
      free[i] = 0;
      out.push(i);
    }
  }
  return out;
}

function checkRequest(req: SlotRequest): void {
  const { ranks, coresPerRank, gpusPerRank } = req;
  if (!Number.isSafeInteger(ranks) || ranks < 1) {
    throw new RangeError(`'ranks' must be a positive integer, got ${ranks}`);
  }
  if (!Number.isSafeInteger(coresPerRank) || coresPerRank < 1) {
    throw new RangeError(`'coresPerRank' must be a positive integer, got ${coresPerRank}`);
  }
  if (!Number.isSafeInteger(gpusPerRank) || gpusPerRank < 0) {
    throw new RangeError(`'gpusPerRank' must be a non-negative integer, got ${gpusPerRank}`);
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
