import type { BodyRun } from "./body_run.ts";

/** Where a task call happens: its workflow and the block body it runs in (kept across awaits). */
export interface Scope {
  workflowId: string;
  /** The run of the enclosing block's body; its block owns the tasks called here. */
  run: BodyRun | undefined;
}

/** The workflow id of calls made outside any scope. */
export const DEFAULT_WORKFLOW = "main";
