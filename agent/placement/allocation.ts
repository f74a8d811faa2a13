/**
 * What the agent may use: the nodes of its allocation with their cores and GPUs.
 *
 * @module
 */
import { availableParallelism, hostname } from "node:os";
import { expandHostList } from "./hostlist.ts";

/** One node of an allocation and how many cores and GPUs the agent may use on it. */
export interface NodeSlots {
  /** Host name, as the launcher (`srun --nodelist`, `mpiexec -hosts`) knows it. */
  name: string;
  /** Cores the agent may use on this node. */
  cores: number;
  /** GPUs the agent may use on this node. */
  gpus: number;
}

/** The nodes the agent places work on, and where that knowledge came from. */
export interface Allocation {
  /** The nodes, in the batch system's order. */
  nodes: NodeSlots[];
  /** `slurm`: read from the job's environment; `flags`: given on the command line; `local`: this machine. */
  source: "slurm" | "flags" | "local";
}

/**
 * Reads the allocation from a Slurm job's environment.
 *
 * Nodes come from `SLURM_JOB_NODELIST` (or `SLURM_NODELIST`), compressed lists expanded. Cores per
 * node come from `SLURM_JOB_CPUS_PER_NODE` (`"4(x2),2"`: two nodes with 4, one with 2), else
 * `SLURM_CPUS_ON_NODE` for every node. GPUs per node come from `SLURM_GPUS_ON_NODE`, else the
 * count of ids in `SLURM_JOB_GPUS`, else `SLURM_GPUS_PER_NODE` (`"2"` or `"a100:2"`), else 0;
 * Slurm only describes the batch node's GPUs, so every node is assumed to have as many.
 *
 * @param env The environment, e.g. `process.env`.
 * @returns The allocation, or `undefined` when `env` is not a Slurm job's.
 * @throws {SyntaxError} When the Slurm variables are present but malformed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { allocationFromEnv } from "@asyncflow/asyncflow/agent/placement";
 * const a = allocationFromEnv({ SLURM_JOB_NODELIST: "nid[001-002]", SLURM_JOB_CPUS_PER_NODE: "4(x2)" });
 * assert.equal(a?.source, "slurm");
 * assert.deepEqual(a?.nodes.map((n) => [n.name, n.cores, n.gpus]), [["nid001", 4, 0], ["nid002", 4, 0]]);
 * ```
 */
export function allocationFromEnv(env: Record<string, string | undefined>): Allocation | undefined {
  const list = env.SLURM_JOB_NODELIST ?? env.SLURM_NODELIST;
  if (list === undefined || list.trim() === "") return undefined;
  const names = expandHostList(list);
  const cores = coresPerNode(env, names.length);
  const gpus = gpusPerNode(env);
  return {
    source: "slurm",
    nodes: names.map((name, i) => ({ name, cores: cores[i] as number, gpus })),
  };
}

/**
 * An allocation of this one machine.
 *
 * @param cores Cores to use; defaults to `os.availableParallelism()`.
 * @param gpus GPUs to use; defaults to 0.
 * @returns A one-node allocation named after this host, with source `local`.
 * @throws {RangeError} When `cores` is not a positive integer or `gpus` not a non-negative one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { localAllocation } from "@asyncflow/asyncflow/agent/placement";
 * const a = localAllocation(2);
 * assert.equal(a.source, "local");
 * assert.deepEqual(a.nodes.map((n) => [n.cores, n.gpus]), [[2, 0]]);
 * ```
 */
export function localAllocation(cores?: number, gpus?: number): Allocation {
  const c = cores ?? availableParallelism();
  const g = gpus ?? 0;
  if (!Number.isSafeInteger(c) || c < 1) {
    throw new RangeError(`'cores' must be a positive integer, got ${cores}`);
  }
  if (!Number.isSafeInteger(g) || g < 0) {
    throw new RangeError(`'gpus' must be a non-negative integer, got ${gpus}`);
  }
  return { source: "local", nodes: [{ name: hostname(), cores: c, gpus: g }] };
}

function coresPerNode(env: Record<string, string | undefined>, count: number): number[] {
  const perNode = env.SLURM_JOB_CPUS_PER_NODE;
  if (perNode !== undefined && perNode.trim() !== "") {
    const cores = expandCounts(perNode, "SLURM_JOB_CPUS_PER_NODE");
    if (cores.length !== count) {
      throw new SyntaxError(
        `SLURM_JOB_CPUS_PER_NODE '${perNode}' describes ${cores.length} nodes, ` +
          `but the node list has ${count}`,
      );
    }
    return cores;
  }
  const onNode = env.SLURM_CPUS_ON_NODE;
  const cores = onNode === undefined ? 1 : parseCount(onNode, "SLURM_CPUS_ON_NODE");
  return new Array<number>(count).fill(Math.max(cores, 1));
}

/** Expands Slurm's run-length counts: `"4(x2),2"` is `[4, 4, 2]`. */
function expandCounts(text: string, name: string): number[] {
  const out: number[] = [];
  for (const part of text.split(",")) {
    const m = /^\s*(\d+)(?:\(x(\d+)\))?\s*$/.exec(part);
    if (!m) throw new SyntaxError(`${name} has a bad entry '${part}' in '${text}'`);
    const value = Number(m[1]);
    const repeat = m[2] === undefined ? 1 : Number(m[2]);
    for (let i = 0; i < repeat; i++) out.push(value);
  }
  return out;
}

function gpusPerNode(env: Record<string, string | undefined>): number {
  const onNode = env.SLURM_GPUS_ON_NODE;
  if (onNode !== undefined && onNode.trim() !== "") return parseCount(onNode, "SLURM_GPUS_ON_NODE");
  const ids = env.SLURM_JOB_GPUS ?? env.SLURM_STEP_GPUS;
  if (ids !== undefined && ids.trim() !== "") return ids.split(",").length;
  const perNode = env.SLURM_GPUS_PER_NODE;
  if (perNode !== undefined && perNode.trim() !== "") {
    // "2", "a100:2", or "a100:2,v100:1" (per type); the total is what may be used.
    let total = 0;
    for (const part of perNode.split(",")) {
      total += parseCount(part.slice(part.lastIndexOf(":") + 1), "SLURM_GPUS_PER_NODE");
    }
    return total;
  }
  return 0;
}

function parseCount(text: string, name: string): number {
  const t = text.trim();
  if (!/^\d+$/.test(t)) throw new SyntaxError(`${name} must be a count, got '${text}'`);
  return Number(t);
}
