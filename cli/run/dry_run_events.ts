/**
 * The events of a workflow run dry: every task finishes at once and nothing
 * executes, which is enough to see its tasks, blocks and dependencies.
 *
 * @module
 */
import { type TaskEvent, WorkflowEngine } from "../../mod.ts";
import type { Workflow } from "./load_workflow.ts";

/**
 * Runs `workflow` with no-op backends and returns every event.
 *
 * @param workflow The workflow.
 * @returns Its events, in order.
 *
 * @example
 * ```ts ignore
 * import { dryRunEvents } from "./dry_run_events.ts";
 * const events = await dryRunEvents(await loadWorkflow("graph", "examples/campaigns.yaml"));
 * ```
 */
export async function dryRunEvents(workflow: Workflow): Promise<TaskEvent[]> {
  const events: TaskEvent[] = [];
  // try/finally rather than `await using`: the npm package's command runs on Node 20, which
  // cannot parse `using` declarations.
  const flow = await WorkflowEngine.create({ dryRun: true });
  try {
    flow.subscribe((e) => events.push(e));
    await workflow.run(flow);
    await new Promise<void>((resolve) => {
      const check = () => {
        const s = flow.stats();
        if (s.pending + s.running > 0) return;
        stop();
        resolve();
      };
      const stop = flow.subscribe(check);
      check();
    });
  } finally {
    await flow.shutdown();
  }
  return events;
}
