/**
 * Turns a placement into the command line that starts a task there: fork (this node), srun
 * (Slurm job steps) or mpiexec (MPICH Hydra / Open MPI).
 *
 * @module
 */
import type { Placement } from "./scheduler.ts";

/** How the agent starts a task's processes. */
export type LaunchMethod = "fork" | "srun" | "mpiexec";

/** Extra knobs for {@linkcode launchCommand}. */
export interface LaunchOptions {
  /** Arguments put right after the launcher's own, e.g. `["--mpi=pmi2"]` for srun. */
  launcherArgs?: readonly string[];
}

/**
 * The argv, and the environment to add, that start `command` on `placement` with `method`.
 *
 * - `fork` runs on this node. One rank runs the command itself; several ranks run under a small
 *   `/bin/sh` wrapper that starts one copy per rank (with `ASYNCFLOW_RANK` and `ASYNCFLOW_SIZE`),
 *   forwards SIGTERM/SIGINT/SIGHUP to them and exits with the last non-zero status. A placement
 *   that spans several nodes is rejected.
 * - `srun` starts one Slurm job step: `srun --exact --kill-on-bad-exit=1 --nodes --ntasks
 *   --cpus-per-task --gpus-per-task|--gres=none --nodelist`. Ranks spread evenly over the nodes use
 *   `--ntasks-per-node`; an uneven spread uses `--distribution=arbitrary` with one `--nodelist`
 *   entry per rank, so Slurm lays the ranks out exactly as the scheduler did. `--exact` keeps
 *   parallel steps on disjoint CPUs (Slurm 22.05 semantics).
 * - `mpiexec` runs `mpiexec -n N -hosts node:ranks,...`, which MPICH's Hydra understands.
 *
 * `OMP_NUM_THREADS` is set to the cores per rank; `CUDA_VISIBLE_DEVICES` to the placement's GPU
 * indices for a single-rank fork (srun and mpiexec leave GPU binding to Slurm and the MPI).
 *
 * @param method The launch method.
 * @param placement Where the task runs, from {@linkcode SlotScheduler.place}.
 * @param command An argv, or a shell string run as `["/bin/sh", "-c", command]`.
 * @param options Extra launcher arguments.
 * @returns The argv to spawn and the variables to add to the task's environment.
 * @throws {RangeError} On an empty command or placement, ranks of unequal size, or a
 * multi-node placement with `fork`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { launchCommand } from "@asyncflow/asyncflow/agent/placement";
 * const placement = { ranks: [{ node: "nid001", cores: [0], gpus: [] }, { node: "nid001", cores: [1], gpus: [] }] };
 * assert.deepEqual(launchCommand("srun", placement, ["./hello"]).argv, [
 *   "srun", "--exact", "--kill-on-bad-exit=1", "--nodes=1", "--ntasks=2", "--cpus-per-task=1",
 *   "--gres=none", "--ntasks-per-node=2", "--nodelist=nid001", "./hello",
 * ]);
 * ```
 */
export function launchCommand(
  method: LaunchMethod,
  placement: Placement,
  command: string | readonly string[],
  options: LaunchOptions = {},
): { argv: string[]; env: Record<string, string> } {
  const argv = commandArgv(command);
  const shape = shapeOf(placement);
  const extra = [...(options.launcherArgs ?? [])];
  const env: Record<string, string> = { OMP_NUM_THREADS: String(shape.coresPerRank) };
  switch (method) {
    case "fork":
      return forkCommand(placement, shape, argv, extra, env);
    case "srun":
      return { argv: [...srunArgs(placement, shape), ...extra, ...argv], env };
    case "mpiexec": {
      const hosts = shape.nodes.map(([node, n]) => `${node}:${n}`).join(",");
      return {
        argv: ["mpiexec", "-n", String(placement.ranks.length), "-hosts", hosts, ...extra, ...argv],
        env,
      };
    }
    default:
      throw new RangeError(
        `unknown launch method '${method as string}' (expected fork, srun or mpiexec)`,
      );
  }
}

interface Shape {
  coresPerRank: number;
  gpusPerRank: number;
  /** Nodes in order of first appearance, with their rank counts. */
  nodes: [string, number][];
}

function shapeOf(placement: Placement): Shape {
  const first = placement.ranks[0];
  if (first === undefined) throw new RangeError("the placement has no ranks");
  const counts = new Map<string, number>();
  for (const [i, rank] of placement.ranks.entries()) {
    if (rank.cores.length !== first.cores.length || rank.gpus.length !== first.gpus.length) {
      throw new RangeError(
        `rank ${i} has ${rank.cores.length} cores and ${rank.gpus.length} GPUs, but rank 0 has ` +
          `${first.cores.length} and ${first.gpus.length}: ranks must be alike`,
      );
    }
    counts.set(rank.node, (counts.get(rank.node) ?? 0) + 1);
  }
  return {
    coresPerRank: first.cores.length,
    gpusPerRank: first.gpus.length,
    nodes: [...counts],
  };
}

function commandArgv(command: string | readonly string[]): string[] {
  if (typeof command === "string") {
    if (command.trim() === "") throw new RangeError("the command is an empty string");
    return ["/bin/sh", "-c", command];
  }
  if (command.length === 0 || command[0] === "") {
    throw new RangeError("the command argv is empty");
  }
  return [...command];
}

function srunArgs(placement: Placement, shape: Shape): string[] {
  const ranks = placement.ranks.length;
  const args = [
    "srun",
    "--exact",
    "--kill-on-bad-exit=1",
    `--nodes=${shape.nodes.length}`,
    `--ntasks=${ranks}`,
    `--cpus-per-task=${Math.max(shape.coresPerRank, 1)}`,
  ];
  // A step names its own GPUs, or none: without --gres=none, a step of a job that asked for
  // GPUs inherits the job's request and Slurm refuses it ("Invalid generic resource").
  args.push(shape.gpusPerRank > 0 ? `--gpus-per-task=${shape.gpusPerRank}` : "--gres=none");
  const even = shape.nodes.every(([, n]) => n === ranks / shape.nodes.length);
  if (even) {
    args.push(
      `--ntasks-per-node=${ranks / shape.nodes.length}`,
      `--nodelist=${shape.nodes.map(([node]) => node).join(",")}`,
    );
  } else {
    args.push(
      "--distribution=arbitrary",
      `--nodelist=${placement.ranks.map((r) => r.node).join(",")}`,
    );
  }
  return args;
}

// Starts one copy per rank, forwards termination to them and reports the last failure.
const FORK_RANKS = 'n=$1; shift; pids=""; i=0; ' +
  "trap 'kill $pids 2>/dev/null; wait; exit 143' TERM INT HUP; " +
  'while [ "$i" -lt "$n" ]; do ASYNCFLOW_RANK=$i "$@" & pids="$pids $!"; i=$((i + 1)); done; ' +
  'rc=0; for p in $pids; do wait "$p" || rc=$?; done; exit "$rc"';

function forkCommand(
  placement: Placement,
  shape: Shape,
  argv: string[],
  extra: string[],
  env: Record<string, string>,
): { argv: string[]; env: Record<string, string> } {
  if (shape.nodes.length > 1) {
    throw new RangeError(
      `fork runs on this node only, but the placement spans ${shape.nodes.length} nodes ` +
        `(${shape.nodes.map(([n]) => n).join(", ")}): use srun or mpiexec`,
    );
  }
  if (extra.length > 0) throw new RangeError("fork takes no launcher arguments");
  const ranks = placement.ranks.length;
  if (ranks === 1) {
    const gpus = (placement.ranks[0] as Placement["ranks"][number]).gpus;
    if (gpus.length > 0) env.CUDA_VISIBLE_DEVICES = gpus.join(",");
    return { argv, env };
  }
  env.ASYNCFLOW_SIZE = String(ranks);
  return { argv: ["/bin/sh", "-c", FORK_RANKS, "asyncflow-ranks", String(ranks), ...argv], env };
}
