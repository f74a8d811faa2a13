import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type TaskEvent, WorkflowEngine } from "../mod.ts";
import { memoKey } from "../src/memo_key.ts";

describe("resume", () => {
  it("records memo keys and results, then skips tasks that completed with the same inputs", async () => {
    const events: TaskEvent[] = [];
    const calls: string[] = [];
    const define = (flow: WorkflowEngine) => ({
      prep: flow.functionTask(function prep(n: number) {
        calls.push(`prep ${n}`);
        return n * 10;
      }),
      say: flow.executableTask(function say(x: number) {
        calls.push(`say ${x}`);
        return ["echo", String(x)];
      }),
    });
    {
      await using flow = await WorkflowEngine.create({ recordResults: true });
      flow.subscribe((e) => events.push(e));
      const { prep, say } = define(flow);
      assert.equal(await say(prep(1)), "10");
    }
    const done = events.filter((e) => e.type === "done");
    assert.ok(done.every((e) => typeof e.memoKey === "string"));
    assert.deepEqual(done.map((e) => e.result), [10, "10"]);

    const resume = new Map(done.map((e) => [e.memoKey!, e.result]));
    calls.length = 0;
    const second: TaskEvent[] = [];
    await using flow = await WorkflowEngine.create({ resume });
    flow.subscribe((e) => second.push(e));
    const { prep, say } = define(flow);
    assert.equal(await say(prep(1)), "10");
    assert.equal(await prep(2), 20, "new inputs run");
    // The executable's body ran (it builds the command that is part of the key); no process did.
    assert.deepEqual(calls, ["say 10", "prep 2"]);
    assert.equal(second.filter((e) => e.type === "done" && e.resumed).length, 2);
    assert.equal(second.filter((e) => e.type === "submitted").length, 1);
  });

  it("computes memo keys from name, kind, arguments and command", () => {
    assert.equal(memoKey("function", "f", [1, { a: 2 }]), memoKey("function", "f", [1, { a: 2 }]));
    assert.notEqual(memoKey("function", "f", [1]), memoKey("function", "g", [1]));
    assert.notEqual(
      memoKey("executable", "f", [], ["echo", "a"]),
      memoKey("executable", "f", [], ["echo", "b"]),
    );
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.equal(memoKey("function", "f", [cyclic]), undefined);
  });
});
