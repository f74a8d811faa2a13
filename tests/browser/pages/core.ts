/**
 * The core in a page: functions and blocks with dependencies, a failure, the explicit scope form
 * cancelling a block's child started after an await, events, and what a browser cannot do.
 */
import {
  DependencyFailureError,
  taskContext,
  type TaskEvent,
  WorkflowEngine,
} from "@asyncflow/asyncflow";
import { described, expose, rejection } from "./_expose.ts";

/** A function task that runs until the engine stops it. */
async function untilStopped(): Promise<string> {
  const { signal } = taskContext();
  await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
  return "stopped";
}

expose(async () => {
  const out: Record<string, unknown> = {};
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => void warnings.push(args.join(" "));
  const flow = await WorkflowEngine.create();
  try {
    const events: Pick<TaskEvent, "type" | "name" | "workflowId">[] = [];
    flow.subscribe((e) => events.push({ type: e.type, name: e.name, workflowId: e.workflowId }));
    const step = flow.functionTask(async function step(name: string, n: number) {
      await Promise.resolve();
      return `${name}-${n}`;
    });
    const campaign = flow.block(async function campaign(name: string, ..._after: unknown[]) {
      const scope = flow.scope();
      let last = "";
      for (let n = 1; n <= 3; n++) last = await scope.run(() => step(name, n));
      return { last, workflowId: scope.workflowId };
    });
    const a1 = campaign("A1");
    const a2 = flow.workflowScope("exp-1", () => campaign("A2", a1));
    out.campaigns = await Promise.all([a1, a2]);
    out.stepWorkflows = [
      ...new Set(
        events.filter((e) => /^campaign\[A\d\]\/step$/.test(e.name)).map((e) => e.workflowId),
      ),
    ].sort();

    const boom = flow.functionTask(function boom(): number {
      throw new RangeError("out of range");
    });
    const plusOne = flow.functionTask(function plusOne(n: number) {
      return n + 1;
    });
    try {
      await plusOne(boom());
      out.failure = "resolved";
    } catch (error) {
      out.failure = {
        dependency: error instanceof DependencyFailureError,
        root: described((error as DependencyFailureError).rootCause),
      };
    }

    // A failing block cancels the child it started after an await, through scope.run.
    const wait = flow.functionTask(untilStopped);
    let child: ReturnType<typeof wait> | undefined;
    const failing = flow.block(async function failing() {
      const scope = flow.scope();
      await step("f", 1);
      child = scope.run(() => wait());
      await Promise.resolve();
      throw new Error("the block fails");
    });
    out.blockFailure = await rejection(() => failing());
    out.childAfterAwait = { state: child?.state, error: await rejection(() => child!) };

    // Without scope.run the browser cannot attribute a call made after an await: it warns.
    let orphan: ReturnType<typeof step> | undefined;
    const implicit = flow.block(async function implicit() {
      await step("i", 1);
      orphan = step("i", 2);
    });
    await implicit();
    out.orphanWorkflow = orphan?.workflowId;
    out.warnings = warnings;

    const echo = flow.executableTask((word: string) => ["echo", word]);
    out.executable = await rejection(() => echo("hi"));
    out.eventTypes = [...new Set(events.map((e) => e.type))].sort();
    out.stats = flow.stats();
    out.names = [...new Set(events.map((e) => e.name))].sort();
  } finally {
    console.warn = warn;
    await flow.shutdown();
  }
  return out;
});
