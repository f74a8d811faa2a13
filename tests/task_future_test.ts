import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { TaskFuture, WorkflowEngine } from "../mod.ts";
import { ManualBackend } from "./fixtures/manual_backend.ts";

describe("TaskFuture", () => {
  it("moves PENDING → RUNNING → DONE, readable without awaiting", async () => {
    const backend = new ManualBackend();
    await using flow = await WorkflowEngine.create({ backend });
    const f = flow.functionTask(function job() {
      return 1;
    })();
    assert.equal(f.state, "PENDING");
    assert.equal(f.settled, false);
    await backend.waitForSubmitted(1);
    backend.ctx.running(f.uid);
    assert.equal(f.state, "RUNNING");
    backend.ctx.done(f.uid, 42);
    assert.equal(f.state, "DONE");
    assert.equal(f.value, 42);
    assert.equal(f.error, undefined);
    assert.equal(await f, 42);
  });

  it("works with Promise.all, Promise.race, then, catch and finally", async () => {
    await using flow = await WorkflowEngine.create();
    const t = flow.functionTask((n: number) => n);
    const bad = flow.functionTask((): number => {
      throw new Error("bad");
    });
    assert.deepEqual(await Promise.all([t(1), t(2)]), [1, 2]);
    assert.equal(await Promise.race([t(3), new Promise(() => {})]), 3);
    assert.equal(await t(4).then((v) => v * 2), 8);
    assert.equal(await bad().catch((e: Error) => e.message), "bad");
    let ran = false;
    await t(5).finally(() => (ran = true));
    assert.equal(ran, true);
  });

  it("exposes the error of a failed task and refuses .value", async () => {
    await using flow = await WorkflowEngine.create();
    const f = flow.functionTask(function broken(): number {
      throw new Error("kaput");
    })();
    await f.then(undefined, () => {});
    assert.equal(f.state, "FAILED");
    assert.equal((f.error as Error).message, "kaput");
    assert.throws(() => f.value, /has no value: it is FAILED/);
  });

  it("is a TaskFuture with uid, name, kind and a readable tag", async () => {
    await using flow = await WorkflowEngine.create();
    const f = flow.functionTask(function named() {})();
    assert.ok(f instanceof TaskFuture);
    assert.equal(f.name, "named");
    assert.equal(f.kind, "function");
    assert.match(Object.prototype.toString.call(f), /TaskFuture task\.000001/);
    await f;
  });
});
