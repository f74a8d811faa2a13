/**
 * One executor per node of the allocation, started once: single-rank commands are forked by
 * their node's executor instead of each being a Slurm step. Commands of several ranks are not
 * theirs, even on one node (an MPI program needs the PMI that srun or mpiexec gives it): they
 * stay with srun or mpiexec. Function tasks placed on a node run on its executor's Workers.
 *
 * @module
 */
import type { WireFunctionTask } from "../../protocol/v1.ts";
import type { RunningProcess } from "../../src/host/mod.ts";
import { launchCommand } from "../placement/launch.ts";
import type { Placement } from "../placement/scheduler.ts";
import { MAX_OUTPUT_BYTES } from "./protocol.ts";
import {
  executorEntry,
  NodeExecutor,
  type NodeExecutorOptions,
  type NodeLostError,
  type RunningCall,
} from "./node_executor.ts";

/** Options of {@linkcode NodeExecutors.start}. */
export interface NodeExecutorsOptions extends NodeExecutorOptions {
  /** The argv that starts the executor on `node`; default {@linkcode srunExecutorArgv}. */
  argv?: (node: string) => string[];
  /**
   * Let the executors run function tasks: the agent's task modules (name → URL, reachable from
   * every node) and how many Workers each node may run at once (its cores). Default: none.
   */
  functions?: { modules: ReadonlyMap<string, string>; workers: (node: string) => number };
  /**
   * Whether the executors start commands through a launcher of their own (`Host.launch`).
   * Default: their runtime's default (on Node and Deno, not on Bun).
   */
  launcher?: boolean;
}

/**
 * The argv of an executor's Slurm step: one task on `node`, sharing its CPUs with the steps it
 * runs for (`--overlap`), output unbuffered so that every line arrives when written.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { srunExecutorArgv } from "@asyncflow/asyncflow/agent";
 * const argv = srunExecutorArgv("node2");
 * assert.deepEqual(argv.slice(0, 4), ["srun", "--overlap", "--nodes=1", "--ntasks=1"]);
 * assert.ok(argv.includes("--nodelist=node2"));
 * ```
 */
export function srunExecutorArgv(node: string): string[] {
  return [
    ...["srun", "--overlap", "--nodes=1", "--ntasks=1", `--nodelist=${node}`, "--unbuffered"],
    // No GPUs of its own: the agent hands them to its commands (CUDA_VISIBLE_DEVICES), and in a
    // job that asked for GPUs a step without --gres=none inherits that request and is refused.
    "--gres=none",
    ...["--kill-on-bad-exit=1", "--job-name=asyncflow-executor", ...executorEntry()],
  ];
}

/**
 * The executors of an allocation's nodes, and the place where a command is handed to one.
 *
 * @example
 * ```ts ignore
 * const executors = await NodeExecutors.start(["node1", "node2", "node3"]);
 * executors.onLost((node, e) => console.error(e.message));
 * const p = executors.launch(placement, ["hostname"], {}, undefined, 1 << 20); // undefined: not theirs
 * ```
 */
export class NodeExecutors {
  readonly #byNode: Map<string, NodeExecutor>;
  /** Nodes whose executor never started: lost from the start. */
  readonly #neverStarted: NodeLostError[];
  readonly #lostListeners: ((node: string, error: NodeLostError) => void)[] = [];

  private constructor(executors: NodeExecutor[], neverStarted: NodeLostError[]) {
    this.#byNode = new Map(executors.map((ex) => [ex.node, ex]));
    this.#neverStarted = neverStarted;
    for (const ex of executors) {
      ex.onLost((e) => {
        for (const listener of this.#lostListeners) listener(ex.node, e);
      });
    }
  }

  /**
   * Starts one executor per node, all at once, and waits until each is ready or has failed. A
   * node whose executor cannot start is lost from the start (see {@linkcode NodeExecutors.lost}):
   * one broken node does not keep the agent from using the others.
   *
   * @throws {AggregateError} When no executor starts; its `errors` are the
   * {@linkcode NodeLostError}s, one per node.
   */
  static async start(
    nodes: readonly string[],
    options: NodeExecutorsOptions = {},
  ): Promise<NodeExecutors> {
    const argv = options.argv ?? srunExecutorArgv;
    const f = options.functions;
    const functionArgs = (node: string) =>
      f === undefined ? [] : [
        ...[...f.modules].flatMap(([name, url]) => ["--module", `${name}=${url}`]),
        ...["--workers", String(f.workers(node))],
      ];
    const launcherArgs = options.launcher === undefined
      ? []
      : ["--launcher", options.launcher ? "on" : "off"];
    const started = await Promise.allSettled(
      nodes.map((node) =>
        NodeExecutor.start(node, [...argv(node), ...functionArgs(node), ...launcherArgs], options)
      ),
    );
    const ok = started.flatMap((s) => s.status === "fulfilled" ? [s.value] : []);
    const failed = started.flatMap((s) =>
      s.status === "rejected" ? [s.reason as NodeLostError] : []
    );
    if (ok.length === 0 && failed.length > 0) {
      throw new AggregateError(
        failed,
        `no node executor started: ${failed.map((e) => e.message).join("; ")}`,
      );
    }
    return new NodeExecutors(ok, failed);
  }

  /**
   * Calls `listener` when a node is lost; at once for each node already lost (one whose
   * executor never started, or was lost before this call).
   */
  onLost(listener: (node: string, error: NodeLostError) => void): void {
    for (const e of this.lost) listener(e.node, e);
    this.#lostListeners.push(listener);
  }

  /** The nodes lost so far, with why: those whose executor never started come first. */
  get lost(): NodeLostError[] {
    return [...this.#neverStarted, ...[...this.#byNode.values()].flatMap((ex) => ex.lost ?? [])];
  }

  /**
   * Hands a single-rank command to the executor of its node, as `fork` would start it there
   * (`CUDA_VISIBLE_DEVICES` and `OMP_NUM_THREADS` set).
   *
   * @returns The running command, or `undefined` when the placement has several ranks or its
   * node has no executor: the caller launches it itself.
   */
  launch(
    placement: Placement,
    command: string | readonly string[],
    env: Record<string, string> | undefined,
    cwd: string | undefined,
    maxBufferBytes: number,
  ): RunningProcess | undefined {
    // Several ranks may be an MPI program, which needs the PMI that srun or mpiexec gives it.
    if (placement.ranks.length !== 1) return undefined;
    const node = placement.ranks[0]!.node;
    const ex = this.#byNode.get(node);
    if (ex === undefined) return undefined;
    const launch = launchCommand("fork", placement, command);
    return ex.spawn({
      command: launch.argv,
      env: { ...env, ...launch.env },
      ...(cwd !== undefined ? { cwd } : {}),
      maxBufferBytes: Math.min(maxBufferBytes, MAX_OUTPUT_BYTES),
    });
  }

  /**
   * Hands a function task to the executor of the node it was placed on, to run on one of that
   * node's Workers.
   *
   * @returns The call under way, or `undefined` when the node has no executor.
   */
  call(placement: Placement, task: WireFunctionTask): RunningCall | undefined {
    const ex = this.#byNode.get(placement.ranks[0]!.node);
    return ex?.call({ module: task.fn.module, export: task.fn.export, args: task.args });
  }

  /** Ends every executor (each kills what it runs) and waits for their steps to end. */
  async close(): Promise<void> {
    await Promise.all([...this.#byNode.values()].map((ex) => ex.close()));
  }
}
