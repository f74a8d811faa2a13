import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CancelledError, WorkflowEngine } from "../mod.ts";
import { ManualBackend } from "./fixtures/manual_backend.ts";

describe("cancellation", () => {
  it("cancels a pending task: it never runs, returns true, and carries the reason", async () => {
    const backend = new ManualBackend();
    await using flow = await WorkflowEngine.create({ backend });
    const t = flow.functionTask(function t() {
      return 1;
    });
    const f = t();
    assert.equal(f.cancel("not needed"), true);
    assert.equal(f.state, "CANCELLED");
    await assert.rejects(
      f,
      (e: unknown) => e instanceof CancelledError && e.reason === "not needed",
    );
    await flow.functionTask(() => 0, { backend: "manual" });
    assert.equal(backend.submitted.length, 0);
  });

  it("cancels a submitted task through the backend that owns it", async () => {
    const a = new ManualBackend("a");
    const b = new ManualBackend("b");
    await using flow = await WorkflowEngine.create({ backends: [a, b] });
    const t = flow.functionTask(function onB() {
      return 1;
    }, { backend: "b" });
    const f = t();
    await b.waitForSubmitted(1);
    f.cancel("stop");
    assert.deepEqual(b.cancelled, [f.uid]);
    assert.deepEqual(a.cancelled, []);
    b.finish("onB", 1); // a late report is ignored
    assert.equal(f.state, "CANCELLED");
  });

  it("cancels dependents of a cancelled task, transitively", async () => {
    const backend = new ManualBackend();
    await using flow = await WorkflowEngine.create({ backend });
    const t = flow.functionTask((n: number) => n);
    const a = t(1);
    const b = t(a);
    const c = t(b);
    a.cancel();
    for (const f of [b, c]) {
      await assert.rejects(
        f,
        (e: unknown) =>
          e instanceof CancelledError && /dependency task\.\d+ was cancelled/.test(e.message),
      );
    }
    const late = t(c);
    assert.equal(late.state, "CANCELLED", "depending on a cancelled task cancels at once");
  });

  it("cancels through an AbortSignal, before and during the run", async () => {
    const backend = new ManualBackend();
    await using flow = await WorkflowEngine.create({ backend });
    const t = flow.functionTask(function sig() {
      return 1;
    });
    const early = t.with({ signal: AbortSignal.abort("too late") })();
    assert.equal(early.state, "CANCELLED");
    const controller = new AbortController();
    const f = t.with({ signal: controller.signal })();
    await backend.waitForSubmitted(1);
    controller.abort("user pressed stop");
    await assert.rejects(
      f,
      (e: unknown) => e instanceof CancelledError && e.reason === "user pressed stop",
    );
    assert.deepEqual(backend.cancelled, [f.uid]);
  });

  it("returns false when cancelling a finished task", async () => {
    await using flow = await WorkflowEngine.create();
    const f = flow.functionTask(() => 1)();
    await f;
    assert.equal(f.cancel(), false);
    assert.equal(f.state, "DONE");
  });

  it("stops a retry waiting for its backoff", async () => {
    await using flow = await WorkflowEngine.create();
    const retried = Promise.withResolvers<void>();
    flow.subscribe((e) => e.type === "retried" && retried.resolve());
    const bad = flow.functionTask((): number => {
      throw new Error("again");
    }, { retries: { max: 5, backoff: "1m" } });
    const f = bad();
    await retried.promise;
    assert.equal(f.state, "PENDING");
    f.cancel();
    await assert.rejects(f, CancelledError);
  });
});
