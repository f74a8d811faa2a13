import type { TaskSpec } from "./backend.ts";
import type { Resources } from "./options.ts";
import type { TaskFiles } from "./task_files.ts";
import { attemptSignal, type TaskContext } from "./task_context.ts";
import type { TaskNode } from "./task_node.ts";

/**
 * What a backend is given for one attempt of a task. It is also the
 * {@linkcode TaskContext} an in-process backend makes current while it calls
 * the function; its `signal` is made only when read.
 */
export class Submission implements TaskSpec, TaskContext {
  readonly id: string;
  readonly uid: string;
  readonly name: string;
  readonly kind: "function" | "executable";
  readonly args: unknown[];
  readonly priority: number;
  readonly attempt: number;
  readonly workflowId: string;
  // Declared, not defined: an option a task does not use is absent, as in a plain spec.
  declare fn?: (...args: never[]) => unknown;
  declare command?: string | readonly string[];
  declare cwd?: string;
  declare env?: Record<string, string>;
  declare captureOutput?: boolean;
  declare result?: "output";
  declare resources?: Resources;
  declare files?: TaskFiles;
  readonly #node: TaskNode;

  /** The submission of the node's current attempt. */
  constructor(node: TaskNode) {
    this.#node = node;
    this.id = node.attempt === 1 ? node.uid : `${node.uid}#${node.attempt}`;
    this.uid = node.uid;
    this.name = node.name;
    this.kind = node.kind === "executable" ? "executable" : "function";
    this.args = node.args as unknown[];
    this.priority = node.priority;
    this.attempt = node.attempt;
    this.workflowId = node.workflowId;
    const o = node.options;
    if (node.kind === "function") this.fn = node.fn!;
    else {
      this.command = node.command!;
      if (o.cwd !== undefined) this.cwd = o.cwd;
      if (o.env !== undefined) this.env = o.env;
      if (o.captureOutput) this.captureOutput = true;
      if (o.result === "output") this.result = "output";
    }
    if (o.resources !== undefined) this.resources = o.resources;
    if (node.files !== undefined) this.files = node.files.declared;
  }

  /** Aborted when the engine stops this attempt (see {@linkcode TaskContext.signal}). */
  get signal(): AbortSignal {
    return attemptSignal(this.#node, this.attempt);
  }
}
