import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type TaskEvent, WorkflowEngine } from "../mod.ts";

describe("events and stats", () => {
  it("emits every state change in order, with timestamps, uids and names", async () => {
    await using flow = await WorkflowEngine.create();
    const events: TaskEvent[] = [];
    flow.subscribe((e) => events.push(e));
    const one = flow.functionTask(function one() {
      return 1;
    });
    const inc = flow.functionTask(function inc(n: number) {
      return n + 1;
    });
    const a = one();
    const b = inc(a);
    await b;
    const typesOf = (uid: string) => events.filter((e) => e.uid === uid).map((e) => e.type);
    assert.deepEqual(typesOf(a.uid), [
      "created",
      "resolved",
      "queued",
      "submitted",
      "running",
      "done",
    ]);
    assert.deepEqual(typesOf(b.uid), [
      "created",
      "resolved",
      "queued",
      "submitted",
      "running",
      "done",
    ]);
    const created = events.find((e) => e.uid === b.uid && e.type === "created")!;
    assert.deepEqual(created.deps, [a.uid]);
    assert.equal(created.name, "inc");
    assert.equal(events.find((e) => e.uid === a.uid && e.type === "done")!.value, "1");
    for (let i = 1; i < events.length; i++) assert.ok(events[i]!.time >= events[i - 1]!.time);
    assert.ok(Math.abs(events[0]!.time - Date.now()) < 60_000);
  });

  it("carries the stack of a task's own error, bounded, and none for asyncflow's errors", async () => {
    await using flow = await WorkflowEngine.create();
    const events: TaskEvent[] = [];
    flow.subscribe((e) => events.push(e));
    const bad = flow.functionTask(function parseInput(s: string) {
      if (!s.startsWith("{")) throw new SyntaxError(`not an object: ${s}`);
      return s.length;
    });
    await assert.rejects(bad("nope"), SyntaxError);
    const deep = flow.functionTask(function deep(): never {
      const e = new Error("deep");
      e.stack = `Error: deep\n${"    at frame (file:///x.ts:1:1)\n".repeat(1000)}`;
      throw e;
    });
    await assert.rejects(deep(), /deep/);
    await assert.rejects(flow.executableTask(() => "exit 4")(), /exit code 4|exited with 4|4/);
    const failed = events.filter((e) => e.type === "failed");
    assert.match(failed[0]!.error!.stack!, /parseInput/, "the frame of the task's function");
    assert.ok(failed[1]!.error!.stack!.length < 4100, "a huge stack is cut");
    assert.match(failed[1]!.error!.stack!, /more characters\)$/);
    assert.equal(failed[2]!.error!.name, "ExecutableError");
    assert.equal(failed[2]!.error!.stack, undefined, "asyncflow's own error: no stack");
  });

  it("summarises counts by state in stats()", async () => {
    await using flow = await WorkflowEngine.create();
    const gate = Promise.withResolvers<void>();
    const wait = flow.functionTask(() => gate.promise);
    const bad = flow.functionTask((): void => {
      throw new Error("x");
    });
    const w = wait();
    await assert.rejects(bad());
    const c = flow.functionTask(() => 0)();
    c.cancel();
    await Promise.resolve();
    assert.deepEqual(flow.stats(), {
      created: 3,
      pending: 0,
      running: 1,
      done: 0,
      failed: 1,
      cancelled: 1,
      retried: 0,
    });
    gate.resolve();
    await w;
    assert.equal(flow.stats().done, 1);
    assert.equal(flow.stats().running, 0);
  });

  it("streams events through an async iterator until it is closed", async () => {
    await using flow = await WorkflowEngine.create();
    const controller = new AbortController();
    const iterator = flow.events(controller.signal);
    const seen: string[] = [];
    const reading = (async () => {
      for await (const e of iterator) {
        seen.push(e.type);
        if (e.type === "done") controller.abort();
      }
    })();
    await flow.functionTask(() => 1)();
    await reading;
    assert.deepEqual(seen, ["created", "resolved", "queued", "submitted", "running", "done"]);
  });

  it("stops calling a listener after unsubscribe, and survives a listener that throws", async () => {
    await using flow = await WorkflowEngine.create();
    let count = 0;
    const stop = flow.subscribe(() => count++);
    const originalError = console.error;
    const logged: unknown[] = [];
    console.error = (...args: unknown[]) => logged.push(args);
    try {
      const stopBad = flow.subscribe(() => {
        throw new Error("listener bug");
      });
      await flow.functionTask(() => 1)();
      stopBad();
    } finally {
      console.error = originalError;
    }
    const before = count;
    stop();
    await flow.functionTask(() => 2)();
    assert.equal(count, before);
    assert.ok(logged.length > 0, "the listener's error is reported, not swallowed");
  });

  it("tags tasks with workflowScope ids, per engine, nesting and resetting", async () => {
    await using a = await WorkflowEngine.create();
    await using b = await WorkflowEngine.create();
    const ta = a.functionTask(() => 1);
    const tb = b.functionTask(() => 1);
    let inner: string | undefined;
    await a.workflowScope("wf-a", async (id) => {
      assert.equal(id, "wf-a");
      assert.equal(ta().workflowId, "wf-a");
      assert.equal(tb().workflowId, "main", "another engine's scope does not leak");
      await Promise.resolve();
      assert.equal(ta().workflowId, "wf-a", "the scope survives awaits");
      a.workflowScope((fresh) => {
        inner = fresh;
        assert.equal(ta().workflowId, fresh);
      });
      assert.equal(ta.with({ workflowId: "explicit" })().workflowId, "explicit");
    });
    assert.match(inner!, /^wf-[0-9a-f]{8}$/);
    assert.equal(ta().workflowId, "main");
  });

  it("tags a block's tasks with the block's workflow and names the block as their parent", async () => {
    await using flow = await WorkflowEngine.create();
    const events: TaskEvent[] = [];
    flow.subscribe((e) => events.push(e));
    const t = flow.functionTask(() => 1);
    const blk = flow.block(async () => [await t(), t().workflowId]);
    const b = blk.with({ workflowId: "campaign-A" })();
    const [, wf] = await b;
    assert.equal(wf, "campaign-A");
    const members = events.filter((e) => e.type === "created" && e.parent === b.uid);
    assert.equal(members.length, 2);
  });
});
