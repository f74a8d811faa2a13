/**
 * Blocks and workflow scopes where the runtime has no async context (browsers, workerd): the
 * engine is given the host's synchronous-only storage, so calls after an await are seen outside
 * any scope, as there; the explicit form (`flow.scope()`) must keep ownership and workflow ids.
 */
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { CancelledError, taskContext, type TaskEvent, WorkflowEngine } from "../mod.ts";
import { host, synchronousContextStorage } from "../src/host/mod.ts";

const realStorage = host.contextStorage;
const realWarn = console.warn;
let warnings: string[] = [];

/** A function task that runs until the engine stops it. */
async function waitForAbort(): Promise<string> {
  const { signal } = taskContext();
  await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
  return "stopped";
}

function eventOf(flow: WorkflowEngine, type: TaskEvent["type"], name: string): Promise<TaskEvent> {
  return new Promise((resolve) => {
    const stop = flow.subscribe((e) => {
      if (e.type === type && e.name === name) (stop(), resolve(e));
    });
  });
}

describe("scopes without async context", () => {
  beforeEach(() => {
    host.contextStorage = synchronousContextStorage;
    warnings = [];
    console.warn = (...args: unknown[]) => void warnings.push(args.join(" "));
  });
  afterEach(() => {
    host.contextStorage = realStorage;
    console.warn = realWarn;
  });

  it("cancels the children a failing block started after an await through scope.run", async () => {
    await using flow = await WorkflowEngine.create();
    const wait = flow.functionTask(waitForAbort);
    const step = flow.functionTask((n: number) => n);
    let child: ReturnType<typeof wait> | undefined;
    const childRunning = eventOf(flow, "running", "failing/waitForAbort");
    const block = flow.block(async function failing() {
      const scope = flow.scope();
      await step(1);
      child = scope.run(() => wait());
      await childRunning;
      throw new Error("the block fails");
    });
    await assert.rejects(block(), /the block fails/);
    assert.ok(child);
    await assert.rejects(child, CancelledError);
    assert.equal(child.state, "CANCELLED");
    assert.deepEqual(warnings, []);
  });

  it("waits for the children started after an await through scope.run, and tags their workflow", async () => {
    await using flow = await WorkflowEngine.create();
    const step = flow.functionTask((n: number) => n);
    const gate = Promise.withResolvers<number>();
    const slow = flow.functionTask(function slow() {
      return gate.promise;
    });
    let later: ReturnType<typeof slow> | undefined;
    const block = flow.block(async function campaign() {
      const scope = flow.scope();
      assert.equal(scope.block?.name, "campaign");
      await step(1);
      later = scope.run(() => slow());
    });
    const f = flow.workflowScope("exp-1", () => block());
    const blockDone = f.then(() => later!.state);
    await eventOf(flow, "running", "campaign/slow"); // named under its block: attributed
    gate.resolve(7);
    assert.equal(await blockDone, "DONE", "the block ended after its child");
    assert.equal(later!.workflowId, "exp-1");
    assert.deepEqual(warnings, []);
  });

  it("stops a cancelled block's body at its next scope.run call", async () => {
    await using flow = await WorkflowEngine.create();
    const step = flow.functionTask((n: number) => n);
    const resume = Promise.withResolvers<void>();
    const reached = Promise.withResolvers<unknown>();
    const block = flow.block(async function stopped() {
      const scope = flow.scope();
      await resume.promise;
      try {
        scope.run(() => step(2));
        reached.resolve("called");
      } catch (error) {
        reached.resolve(error);
      }
    });
    const f = block();
    await eventOf(flow, "running", "stopped");
    f.cancel("stop");
    resume.resolve();
    assert.ok((await reached.promise) instanceof CancelledError);
  });

  it("warns once when a call outside any scope may come from a running body, and the task is not owned", async () => {
    await using flow = await WorkflowEngine.create();
    const step = flow.functionTask(function step(n: number) {
      return n;
    });
    let orphan: ReturnType<typeof step> | undefined;
    const block = flow.block(async function implicit() {
      await step(1);
      orphan = step(2); // after an await, without scope.run
      orphan = step(3);
    });
    await block();
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.match(warnings[0]!, /'step' was called outside any block or workflowScope/);
    assert.match(warnings[0]!, /has no async context/);
    assert.match(warnings[0]!, /scope\.run\(\(\) => task\(\.\.\.\)\)/);
    assert.equal(orphan!.workflowId, "main", "the runtime could not attribute it");
  });

  it("does not warn for calls outside any scope while no body runs", async () => {
    await using flow = await WorkflowEngine.create();
    const step = flow.functionTask((n: number) => n);
    assert.equal(await step(await step(1)), 1);
    assert.deepEqual(warnings, []);
  });
});

describe("scopes with async context", () => {
  it("flow.scope() names the block and its workflow; calls after an await need no scope.run", async () => {
    await using flow = await WorkflowEngine.create();
    const step = flow.functionTask((n: number) => n);
    const block = flow.block(async function campaign() {
      const scope = flow.scope();
      await step(1);
      const after = step(2);
      return [scope.block?.name, scope.workflowId, after.workflowId];
    });
    assert.deepEqual(await flow.workflowScope("exp-2", () => block()), [
      "campaign",
      "exp-2",
      "exp-2",
    ]);
    assert.equal(flow.scope().block, undefined);
    assert.equal(flow.scope().workflowId, "main");
  });
});
