import type { TaskNode } from "./task_node.ts";

/** Where a task call happens: its workflow and enclosing block (kept across awaits). */
export interface Scope {
  workflowId: string;
  block: TaskNode | undefined;
}

/** The workflow id of calls made outside any scope. */
export const DEFAULT_WORKFLOW = "main";
