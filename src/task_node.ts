import type { NodeFiles } from "./declared_files.ts";
import type { ExecutionRecord } from "./execution_record.ts";
import type { MergedOptions } from "./options.ts";
import { PHASE, type Phase, SETTLED } from "./phases.ts";
import type { FutureOwner, TaskFuture } from "./task_future.ts";
import type { TaskKind } from "./task_state.ts";

/** The user's function behind a task, as the engine stores it. */
// deno-lint-ignore no-explicit-any
export type AnyFunction = (...args: any[]) => unknown;

/** The engine a node belongs to, as the node sees it. */
export interface NodeOwner {
  /** Cancels a node of this engine. */
  cancelNode(node: TaskNode, reason: unknown): boolean;
  /** What an await of this engine's unfinished futures made now rejects with, if anything. */
  awaitError(): unknown;
}

/**
 * The engine's record of one unfinished task or block. It lives from the
 * call until the task settles; then the engine drops every reference to it
 * and only the (small) future remains, held by whoever holds it.
 */
export class TaskNode implements FutureOwner {
  /** How many dependencies have not finished yet. */
  waiting = 0;
  /** Tasks waiting for this one; dropped once it settles. */
  dependents: TaskNode[] | undefined = undefined;
  /** Unfinished tasks and blocks this block started (blocks only). */
  children: Set<TaskNode> | undefined = undefined;
  /** The block whose body created this task, while both are unfinished. */
  parent: TaskNode | undefined;
  /** The command to run, once an executable's body produced it. */
  command: string | readonly string[] | undefined = undefined;
  /** The files the call declared, resolved; `undefined` for the (common) task that declares none. */
  files: NodeFiles | undefined = undefined;
  /** The memo key, computed when resuming or recording results. */
  memoKey: string | undefined = undefined;
  /** 1 for the first attempt. */
  attempt = 1;
  /** The id of the current attempt at a backend, while it is there. */
  submissionId: string | undefined = undefined;
  /** Timeout or retry-backoff timer. */
  timer: ReturnType<typeof setTimeout> | undefined = undefined;
  /** The current attempt's abort controller, made when its signal is first read. */
  controller: AbortController | undefined = undefined;
  /** What the backend said the current attempt ran, until its final event carries it. */
  record: ExecutionRecord | undefined = undefined;
  /** Removes the listener on `options.signal`. */
  unlisten: (() => void) | undefined = undefined;
  /** A block whose body returned, waiting for its children: the body's value. */
  bodyReturned = false;
  /** The value a finished block body returned. */
  bodyValue: unknown = undefined;
  /** Ready-queue ordering. */
  priority: number;
  /** Ready-queue arrival order. */
  seq = 0;
  /** Changed by `Kernel.move` only, along the table in `phases.ts`. */
  phase: Phase = PHASE.new;
  /** The neighbours in the engine's list of unfinished tasks (see `live_tasks.ts`). */
  livePrev: TaskNode | undefined = undefined;
  liveNext: TaskNode | undefined = undefined;
  /** The future handed to the user; created right after the node. */
  future!: TaskFuture<unknown>;

  readonly owner: NodeOwner;
  readonly uid: string;
  readonly name: string;
  readonly kind: TaskKind;
  /** The user's function; dropped once the node settles. */
  fn: AnyFunction | undefined;
  /** The call's arguments, then their resolved values; dropped once the node settles. */
  args: readonly unknown[];
  /** Whether futures sit inside containers in `args`. */
  readonly nested: boolean;
  readonly options: MergedOptions;
  readonly workflowId: string;

  constructor(
    owner: NodeOwner,
    uid: string,
    name: string,
    kind: TaskKind,
    fn: AnyFunction,
    args: readonly unknown[],
    nested: boolean,
    options: MergedOptions,
    workflowId: string,
    parent: TaskNode | undefined,
  ) {
    this.owner = owner;
    this.uid = uid;
    this.name = name;
    this.kind = kind;
    this.fn = fn;
    this.args = args;
    this.nested = nested;
    this.options = options;
    this.workflowId = workflowId;
    this.parent = parent;
    this.priority = options.priority ?? 0;
  }

  /** What an await of the task's future made now rejects with: see {@linkcode NodeOwner.awaitError}. */
  awaitError(): unknown {
    return this.owner.awaitError();
  }

  /** Cancels the task (called through its future). */
  cancel(reason: unknown): boolean {
    return this.owner.cancelNode(this, reason);
  }

  /** `true` once the task is final. */
  get settled(): boolean {
    return (this.phase & SETTLED) !== 0;
  }
}
