import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { EngineClosedError, NoopBackend, WorkflowEngine } from "../mod.ts";
import { ManualBackend } from "./fixtures/manual_backend.ts";

describe("engine lifecycle", () => {
  it("uses an embedded local backend when none is given", async () => {
    await using flow = await WorkflowEngine.create();
    assert.deepEqual(flow.backendNames, ["default"]);
    assert.equal(await flow.executableTask(() => ["echo", "local"])(), "local");
  });

  it("shuts down with `await using`, cancelling what is pending and draining backends", async () => {
    const backend = new ManualBackend();
    let f;
    {
      await using flow = await WorkflowEngine.create({ backend });
      f = flow.functionTask(() => 1)();
    }
    await assert.rejects(f, /the engine shut down/);
    assert.equal(backend.shutdownCalls, 1);
  });

  it("throws a clear error for any call after shutdown, and never hangs", async () => {
    const flow = await WorkflowEngine.create();
    const t = flow.functionTask(() => 1);
    await flow.shutdown();
    assert.throws(() => t(), EngineClosedError);
    assert.throws(() => t(), /has been shut down; create a new engine/);
    assert.equal(flow.closed, true);
  });

  it("is safe to shut down twice and concurrently", async () => {
    const backend = new ManualBackend();
    const flow = await WorkflowEngine.create({ backend });
    await Promise.all([flow.shutdown(), flow.shutdown()]);
    await flow.shutdown();
    assert.equal(backend.shutdownCalls, 1);
  });

  it("reports a backend that fails to shut down, after shutting down the others", async () => {
    const good = new ManualBackend("good");
    const bad = new NoopBackend({ name: "bad" });
    bad.shutdown = () => Promise.reject(new Error("stuck node"));
    const flow = await WorkflowEngine.create({ backends: [good, bad] });
    await assert.rejects(
      flow.shutdown(),
      (e: unknown) => e instanceof AggregateError && /stuck node/.test(String(e.errors[0])),
    );
    assert.equal(good.shutdownCalls, 1);
  });

  it("numbers tasks per engine: two engines never share or reset ids", async () => {
    const a = await WorkflowEngine.create();
    const b = await WorkflowEngine.create();
    const ta = a.functionTask(() => 1);
    const tb = b.functionTask(() => 1);
    assert.equal(ta().uid, "task.000001");
    assert.equal(tb().uid, "task.000001");
    assert.equal(ta().uid, "task.000002");
    await a.shutdown();
    assert.equal(tb().uid, "task.000002", "shutting down a does not reset b");
    // A definition after shutdown is still named where it was made, never just "function".
    assert.match(a.functionTask(() => 1).taskName, /^engine_test\.ts:\d+$/);
    await b.shutdown();
    assert.notEqual(a.uid, b.uid);
  });

  it("validates create() options", async () => {
    await assert.rejects(
      WorkflowEngine.create({ uid: "../etc" }),
      /^TypeError: WorkflowEngine\.create: 'uid' must be 1-128 letters, digits, '\.', '_' or '-', got the string "\.\.\/etc"$/,
    );
    await assert.rejects(
      WorkflowEngine.create({ backend: {} as never }),
      /'backend' must be a Backend \(name, attach, submit, cancel, shutdown\), got an object \(Object\)$/,
    );
    await assert.rejects(WorkflowEngine.create({ resume: {} as never }), /'resume' must be a Map/);
  });

  it("names tasks after their function, or the name option", async () => {
    await using flow = await WorkflowEngine.create();
    function simulate() {
      return 1;
    }
    assert.equal(flow.functionTask(simulate)().name, "simulate");
    assert.equal(flow.functionTask(simulate, { name: "sim-2" })().name, "sim-2");
    assert.equal(flow.block(async () => {})().kind, "block");
    assert.match(flow.block(async () => {})().uid, /^block\.\d{6}$/);
  });
});
