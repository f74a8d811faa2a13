import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CancelledError, type TaskEvent, TimeoutError, WorkflowEngine } from "../mod.ts";

describe("retries and timeouts", () => {
  it("retries a failing task up to the count, then fails with the last error", async () => {
    await using flow = await WorkflowEngine.create();
    let calls = 0;
    const bad = flow.functionTask((): number => {
      throw new Error(`call ${++calls}`);
    }, { retries: 2 });
    await assert.rejects(bad(), /call 3/);
    assert.equal(calls, 3);
    assert.equal(flow.stats().retried, 2);
  });

  it("succeeds when a retry succeeds, and emits 'retried' with the error and attempt", async () => {
    await using flow = await WorkflowEngine.create();
    const events: TaskEvent[] = [];
    flow.subscribe((e) => events.push(e));
    let calls = 0;
    const flaky = flow.functionTask(() => {
      if (++calls < 2) throw new Error("transient");
      return "ok";
    }, { retries: 3 });
    assert.equal(await flaky(), "ok");
    const retried = events.filter((e) => e.type === "retried");
    assert.equal(retried.length, 1);
    assert.equal(retried[0]!.attempt, 1);
    assert.equal(retried[0]!.error?.message, "transient");
  });

  it("retries only the errors retryOn accepts", async () => {
    await using flow = await WorkflowEngine.create();
    let calls = 0;
    const t = flow.functionTask((): number => {
      calls++;
      throw new TypeError("a bug, not bad luck");
    }, { retries: { max: 5, retryOn: (e) => !(e instanceof TypeError) } });
    await assert.rejects(t(), TypeError);
    assert.equal(calls, 1);
  });

  it("waits the backoff between attempts, growing by the factor", async () => {
    await using flow = await WorkflowEngine.create();
    const times: number[] = [];
    const t = flow.functionTask((): number => {
      times.push(performance.now());
      throw new Error("x");
    }, { retries: { max: 2, backoff: "40ms", factor: 2 } });
    await assert.rejects(t());
    assert.equal(times.length, 3);
    assert.ok(times[1]! - times[0]! >= 35, `first delay ${times[1]! - times[0]!}`);
    assert.ok(times[2]! - times[1]! >= 75, `second delay ${times[2]! - times[1]!}`);
  });

  it("times out a function task that never finishes", async () => {
    await using flow = await WorkflowEngine.create();
    const stuck = flow.functionTask(() => new Promise<void>(() => {}), { timeout: 30 });
    await assert.rejects(stuck(), (e: unknown) => e instanceof TimeoutError && e.timeoutMs === 30);
  });

  it("names the task in timeout and cancellation messages", async () => {
    await using flow = await WorkflowEngine.create();
    const hung = flow.functionTask(() => new Promise<void>(() => {}), {
      name: "hung",
      timeout: 30,
    });
    await assert.rejects(hung(), /^TimeoutError: 'hung' \(task\.\d+\) timed out after 30 ms$/);
    const held = flow.functionTask(() => new Promise<void>(() => {}), { name: "held" })();
    held.cancel("not needed");
    await assert.rejects(held, (e: unknown) => {
      assert.ok(e instanceof CancelledError);
      assert.match(e.message, /^'held' \(task\.\d+\) was cancelled: not needed$/);
      assert.equal(e.taskName, "held");
      return true;
    });
  });

  it("applies call-time options over definition-time ones", async () => {
    await using flow = await WorkflowEngine.create();
    let calls = 0;
    const bad = flow.functionTask((): number => {
      calls++;
      throw new Error("no");
    }, { retries: 5 });
    await assert.rejects(bad.with({ retries: 0 })());
    assert.equal(calls, 1);
    assert.equal(bad.options.retries, 5, "the definition is unchanged");
  });

  it("rejects malformed options with errors that name the option and value", async () => {
    await using flow = await WorkflowEngine.create();
    const f = () => 1;
    assert.throws(
      () => flow.functionTask(f, { retries: -1 }),
      /^TypeError: functionTask\(f\): 'retries' must be an integer >= 0, got number -1$/,
    );
    assert.throws(
      () => flow.functionTask(f, { timeout: 0 }),
      /'timeout' must be a duration of more than zero: a number of milliseconds or a string such as "500ms".*, got number 0$/,
    );
    assert.throws(() => flow.functionTask(f, { retrys: 2 } as never), /unknown option 'retrys'/);
    assert.throws(
      () => flow.functionTask(f, { cwd: "/" } as never),
      /option 'cwd' does not apply to function tasks/,
    );
    assert.throws(
      () => flow.functionTask(f, { backend: "gpu" }),
      /unknown backend 'gpu' \(this engine has: default\)/,
    );
    assert.throws(
      () => flow.executableTask(() => "true", { resources: { ranks: 0 } }),
      /'resources\.ranks' must be a positive integer, got number 0$/,
    );
    assert.throws(
      () => flow.functionTask("nope" as never),
      /functionTask: expected a function, got the string "nope"/,
    );
  });
});
