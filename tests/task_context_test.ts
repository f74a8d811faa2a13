import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CancelledError, taskContext, TimeoutError, WorkflowEngine } from "../mod.ts";
import { ManualBackend } from "./fixtures/manual_backend.ts";

/** Resolves with the signal's reason once it aborts. */
const aborted = (signal: AbortSignal) =>
  new Promise<unknown>((resolve) => signal.addEventListener("abort", () => resolve(signal.reason)));

describe("taskContext()", () => {
  it("gives a running function task a signal that aborts when the task is cancelled", async () => {
    await using flow = await WorkflowEngine.create();
    const started = Promise.withResolvers<void>();
    const seen = Promise.withResolvers<unknown>();
    const wait = flow.functionTask(async function wait() {
      const context = taskContext();
      assert.equal(context.signal.aborted, false);
      started.resolve();
      seen.resolve(await aborted(context.signal));
      return "ran on";
    });
    const f = wait();
    await started.promise;
    f.cancel("enough");
    const reason = await seen.promise;
    assert.ok(reason instanceof CancelledError && reason.reason === "enough", String(reason));
    await assert.rejects(f, CancelledError);
  });

  it("aborts the signal of an attempt that times out, and gives the retry a fresh one", async () => {
    await using flow = await WorkflowEngine.create();
    const reasons: unknown[] = [];
    const flaky = flow.functionTask(async function flaky() {
      const { signal, attempt } = taskContext();
      if (attempt === 2) return `attempt 2, aborted: ${signal.aborted}`;
      reasons.push(await aborted(signal));
      return "too late";
    }, { timeout: 50, retries: 1 });
    assert.equal(await flaky(), "attempt 2, aborted: false");
    assert.equal(reasons.length, 1);
    assert.ok(reasons[0] instanceof TimeoutError);
  });

  it("gives a block body its uid, name and a signal that aborts when the block is cancelled", async () => {
    await using flow = await WorkflowEngine.create();
    const started = Promise.withResolvers<void>();
    const seen = Promise.withResolvers<unknown>();
    const campaign = flow.block(async function campaign() {
      const { uid, name, signal } = taskContext();
      started.resolve();
      seen.resolve(await aborted(signal));
      return `${uid} ${name}`;
    });
    const b = campaign();
    await started.promise;
    b.cancel("stop");
    assert.ok((await seen.promise) instanceof CancelledError);
    await assert.rejects(b, CancelledError);
  });

  it("throws a clear error outside a task, and after the body's first await", async () => {
    assert.throws(() => taskContext(), /outside a running task: call it synchronously/);
    await using flow = await WorkflowEngine.create();
    const late = flow.functionTask(async () => {
      taskContext();
      await null;
      return taskContext();
    });
    await assert.rejects(late(), /before its first await/);
  });
});

describe("a stopped block body", () => {
  it("ends at its next task call, which throws the block's CancelledError and runs nothing", async () => {
    await using flow = await WorkflowEngine.create();
    const started = Promise.withResolvers<void>();
    const go = Promise.withResolvers<void>();
    const ended = Promise.withResolvers<unknown>();
    let runs = 0;
    const step = flow.functionTask(() => ++runs);
    const campaign = flow.block(async () => {
      started.resolve();
      await go.promise; // not a task future: the body waits here while it is cancelled
      try {
        step();
        ended.resolve("the call returned");
      } catch (error) {
        ended.resolve(error);
        throw error;
      }
    });
    const b = campaign();
    await started.promise;
    b.cancel("stop");
    go.resolve();
    const error = await ended.promise;
    assert.ok(error instanceof CancelledError, String(error));
    assert.equal(error, b.error, "the block's own CancelledError");
    assert.equal(runs, 0);
  });

  // Without the fix the body waits for `outsider`, which finishes only after: the guard ends it.
  it("ends at its next await of an unfinished task future, which rejects at once", {
    timeout: 10_000,
  }, async () => {
    const backend = new ManualBackend();
    await using flow = await WorkflowEngine.create({ backend });
    const outsider = flow.functionTask(function outsider() {
      return 1;
    })();
    const go = Promise.withResolvers<void>();
    const ended = Promise.withResolvers<unknown>();
    const campaign = flow.block(async () => {
      await go.promise;
      try {
        ended.resolve(await outsider);
      } catch (error) {
        ended.resolve(error);
      }
    });
    const b = campaign();
    await backend.waitForSubmitted(1);
    b.cancel("stop");
    go.resolve();
    const error = await ended.promise;
    assert.ok(error instanceof CancelledError, String(error));
    backend.finish("outsider", 1);
    assert.equal(await outsider, 1, "outside the stopped body the future is unaffected");
  });

  it("ends at its next task call after its attempt timed out", async () => {
    await using flow = await WorkflowEngine.create();
    const go = Promise.withResolvers<void>();
    const ended = Promise.withResolvers<unknown>();
    const step = flow.functionTask(() => 1);
    const slow = flow.block(async () => {
      await go.promise;
      try {
        step();
      } catch (error) {
        ended.resolve(error);
      }
    }, { timeout: 20 });
    await assert.rejects(slow(), TimeoutError);
    go.resolve();
    const error = await ended.promise;
    assert.ok(error instanceof CancelledError && error.reason instanceof TimeoutError);
  });
});
