import { declareFiles, FileProducers, type NodeFiles } from "./declared_files.ts";
import { collectFutures } from "./dependencies.ts";
import type { Definition } from "./definitions.ts";
import { CancelledError, DependencyFailureError, EngineClosedError } from "./errors.ts";
import { resolvePath } from "./file_paths.ts";
import { type ContextStorage, host } from "./host/mod.ts";
import type { Kernel } from "./kernel.ts";
import { describe } from "./options.ts";
import { instanceSuffix } from "./names.ts";
import { MOVES } from "./phases.ts";
import { DEFAULT_WORKFLOW, type Scope } from "./scope.ts";
import { futureOwner, TaskFuture } from "./task_future.ts";
import { type NodeOwner, TaskNode } from "./task_node.ts";

/**
 * Turns a task call into an engine record and its future: finds the
 * dependencies in the arguments, checks each may be depended on, ties the
 * task to its block and workflow, and decides at once when a dependency has
 * already failed or been cancelled.
 */
export class Calls {
  #counter = 0;
  readonly #engineUid: string;
  readonly #kernel: Kernel;
  readonly #context: ContextStorage<Scope | undefined>;
  readonly #owner: NodeOwner;
  /** Who writes each declared output; made by the first call that declares files. */
  #producers: FileProducers | undefined;
  /** The names and templates `EngineOptions.force` gave, and the calls they matched. */
  readonly #force: { names: ReadonlySet<string>; forced: WeakSet<TaskNode> } | undefined;
  /** Set at shutdown: later calls throw. */
  closed = false;

  /**
   * @param owner What the futures of this engine reach their tasks through.
   */
  constructor(
    engineUid: string,
    kernel: Kernel,
    context: ContextStorage<Scope | undefined>,
    owner: NodeOwner,
    force?: { names: ReadonlySet<string>; forced: WeakSet<TaskNode> },
  ) {
    this.#force = force;
    this.#engineUid = engineUid;
    this.#kernel = kernel;
    this.#context = context;
    this.#owner = owner;
  }

  /**
   * Calls a task.
   *
   * @throws {EngineClosedError} After shutdown.
   * @throws {CancelledError} When called from the body of a block that was stopped.
   * @throws {TypeError} On a foreign promise, another engine's future, or a dependency on the calling block.
   */
  call(def: Definition, args: unknown[]): TaskFuture<unknown> {
    if (this.closed) throw new EngineClosedError(this.#engineUid);
    const options = def.options;
    const deps: TaskFuture<unknown>[] = [];
    const nested = collectFutures(args, deps);
    if (options.after) {
      for (const f of options.after) {
        if (!(f instanceof TaskFuture)) {
          throw new TypeError(`${def.name}: 'after' must hold TaskFutures, got ${describe(f)}`);
        }
        deps.push(f);
      }
    }
    // Declared files are rare: a task without them pays two property reads here.
    let files: NodeFiles | undefined;
    if (options.inputs !== undefined || options.outputs !== undefined) {
      const cwd = options.cwd;
      const base = cwd === undefined ? host.cwd() : resolvePath(host.cwd(), cwd);
      files = declareFiles(options.inputs, options.outputs, args, base, def.name);
      (this.#producers ??= new FileProducers()).dependOn(files, deps);
    }
    const scope = this.#context.get();
    const run = scope?.run;
    // A stopped block body ends at its next task call.
    if (run !== undefined && this.#kernel.blockStopped && run.stopped) throw run.stopError();
    const parent = run?.block;
    const pending = this.#pendingDependencies(def.name, deps, parent);

    const n = ++this.#counter;
    const uid = `${def.kind === "block" ? "block" : "task"}.${
      n < 1e6 ? String(n).padStart(6, "0") : n
    }`;
    const workflowId = options.workflowId ?? scope?.workflowId ?? DEFAULT_WORKFLOW;
    const name = callName(def, args, parent);
    const node = new TaskNode(
      this.#owner,
      uid,
      name,
      def.kind,
      def.fn,
      args,
      nested,
      options,
      workflowId,
      parent,
    );
    const future = new TaskFuture<unknown>(uid, name, def.kind, workflowId, node);
    node.future = future;
    const force = this.#force;
    if (force !== undefined && (force.names.has(name) || force.names.has(def.template))) {
      force.forced.add(node);
    }
    if (files !== undefined) {
      node.files = files;
      this.#producers!.produce(files, future);
    }
    if (parent && !parent.settled) (parent.children ??= new Set()).add(node);
    this.#kernel.move(node, MOVES.created, deps, def.template);
    this.#start(node, deps, pending);
    return future;
  }

  /** Decides at once on failed or cancelled dependencies, else waits for the pending ones. */
  #start(node: TaskNode, deps: TaskFuture<unknown>[], pending: TaskNode[]): void {
    const kernel = this.#kernel;
    let failed: TaskFuture<unknown>[] | undefined;
    let cancelled: TaskFuture<unknown> | undefined;
    for (const d of deps) {
      if (d.state === "FAILED") (failed ??= []).push(d);
      else if (d.state === "CANCELLED") cancelled ??= d;
    }
    const parent = node.parent;
    if (failed) {
      kernel.settle(node, "FAILED", new DependencyFailureError(node, failed, failed[0]!.error));
    } else if (cancelled) {
      const why = `dependency ${cancelled.uid} was cancelled`;
      kernel.settle(node, "CANCELLED", new CancelledError(node.uid, why, node.name));
    } else if (parent?.settled) {
      const why = `its block ${parent.uid} has finished`;
      kernel.settle(node, "CANCELLED", new CancelledError(node.uid, why, node.name));
    } else {
      for (const dep of pending) {
        node.waiting++;
        (dep.dependents ??= []).push(node);
      }
      const signal = node.options.signal;
      if (signal) {
        if (signal.aborted) {
          kernel.settle(node, "CANCELLED", new CancelledError(node.uid, signal.reason, node.name));
          return;
        }
        const onAbort = () => kernel.cancel(node, signal.reason);
        signal.addEventListener("abort", onAbort, { once: true });
        node.unlisten = () => signal.removeEventListener("abort", onAbort);
      }
      if (node.waiting === 0) kernel.scheduler.ready(node);
    }
  }

  /** The unfinished dependencies' records, after checking that each may be depended on. */
  #pendingDependencies(
    name: string,
    deps: TaskFuture<unknown>[],
    parent: TaskNode | undefined,
  ): TaskNode[] {
    const pending: TaskNode[] = [];
    for (const d of deps) {
      const node = futureOwner(d);
      if (node === undefined) continue;
      if (!(node instanceof TaskNode) || node.owner !== this.#owner) {
        throw new TypeError(
          `${name}: ${d.uid} belongs to another WorkflowEngine; await it first and pass its value`,
        );
      }
      for (let b = parent; b; b = b.parent) {
        if (b === node) {
          throw new TypeError(
            `${name}: cannot depend on ${d.uid} ('${d.name}'), the block it is called from: it would wait forever`,
          );
        }
      }
      pending.push(node);
    }
    return pending;
  }
}

/**
 * A call's name: its definition's (or the one `.with({ name })` gave), with
 * what tells the instance apart (see `names.ts`), under its block's name.
 * A task called outside any block and without a key keeps its definition's
 * name as it is: the common case costs two checks.
 */
function callName(def: Definition, args: readonly unknown[], parent: TaskNode | undefined): string {
  const key = def.options.key;
  const fromArgs = def.kind === "block" && def.name === def.template;
  const own = key === undefined && !fromArgs
    ? def.name
    : def.name + instanceSuffix(key, args, fromArgs);
  return parent === undefined ? own : `${parent.name}/${own}`;
}
