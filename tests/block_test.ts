import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CancelledError, DependencyFailureError, type TaskEvent, WorkflowEngine } from "../mod.ts";

describe("blocks", () => {
  it("runs a body that creates tasks as it goes and resolves to its return value", async () => {
    await using flow = await WorkflowEngine.create();
    const step = flow.functionTask((name: string, n: number) => `${name}:${n}`);
    const campaign = flow.block(async function campaign(name: string) {
      const out: string[] = [];
      for (let n = 1; n <= 4; n++) out.push(await step(name, n));
      return out;
    });
    assert.deepEqual(await campaign("A"), ["A:1", "A:2", "A:3", "A:4"]);
  });

  it("can depend on blocks and tasks, and receives their values", async () => {
    await using flow = await WorkflowEngine.create();
    const order: string[] = [];
    const blk = flow.block(async (name: string, ...prev: string[]) => {
      order.push(`start ${name}`);
      await Promise.resolve();
      order.push(`end ${name}`);
      return `${name}(${prev.join(",")})`;
    });
    const a1 = blk("A1");
    const b1 = blk("B1");
    const d = blk("D", a1, b1);
    assert.equal(await d, "D(A1(),B1())");
    assert.ok(order.indexOf("start D") > order.indexOf("end A1"));
    assert.ok(order.indexOf("start D") > order.indexOf("end B1"));
  });

  it("nests: blocks of blocks, with inner dependencies", async () => {
    await using flow = await WorkflowEngine.create();
    const inc = flow.functionTask((n: number) => n + 1);
    const inner = flow.block(async (n: number) => await inc(await inc(n)));
    const outer = flow.block(async (n: number) => {
      const first = inner(n);
      return await inner(first);
    });
    assert.equal(await outer(outer(0)), 8);
  });

  it("fails a dependent of a failed block with DependencyFailureError", async () => {
    await using flow = await WorkflowEngine.create();
    const bad = flow.block(async function bad(): Promise<number> {
      await Promise.resolve();
      throw new TypeError("bad block");
    });
    const next = flow.block((n: number) => n);
    await assert.rejects(next(bad()), (e: unknown) => {
      assert.ok(e instanceof DependencyFailureError);
      assert.ok(e.rootCause instanceof TypeError);
      return true;
    });
  });

  it("waits for children it did not await before it resolves: no orphans", async () => {
    await using flow = await WorkflowEngine.create();
    const gate = Promise.withResolvers<string>();
    const slow = flow.functionTask(() => gate.promise);
    let child!: ReturnType<typeof slow>;
    const blk = flow.block(() => {
      child = slow();
      return "body returned";
    });
    const b = blk();
    const events: TaskEvent[] = [];
    flow.subscribe((e) => events.push(e));
    await flow.functionTask(() => 0)(); // let the block body run
    assert.equal(b.state, "RUNNING", "the body returned but its child still runs");
    gate.resolve("child done");
    assert.equal(await b, "body returned");
    assert.equal(child.state, "DONE");
    const order = events.filter((e) => e.type === "done").map((e) => e.uid);
    assert.ok(order.indexOf(child.uid) < order.indexOf(b.uid), "the child ends before its block");
  });

  it("cancels its unfinished children when its body throws, and kills their processes", async () => {
    await using flow = await WorkflowEngine.create();
    const started = Promise.withResolvers<void>();
    flow.subscribe((e) => e.type === "running" && e.kind === "executable" && started.resolve());
    const sleep = flow.executableTask(() => ["sleep", "30"]);
    const pending = flow.functionTask(() => new Promise<never>(() => {}));
    let kids: ReturnType<typeof sleep>[] = [];
    const blk = flow.block(async () => {
      kids = [sleep(), pending() as never];
      await started.promise;
      throw new Error("body failed");
    });
    const t0 = performance.now();
    await assert.rejects(blk(), /body failed/);
    for (const k of kids) {
      assert.equal(k.state, "CANCELLED");
      await assert.rejects(
        k,
        (e: unknown) => e instanceof CancelledError && /block\.\d+ failed/.test(e.message),
      );
    }
    assert.ok(performance.now() - t0 < 10_000);
  });

  it("cancelling a block cancels everything it started, recursively, and nothing new starts", async () => {
    await using flow = await WorkflowEngine.create();
    const gate = Promise.withResolvers<void>();
    const never = flow.functionTask(() => new Promise<number>(() => {}));
    const deep: ReturnType<typeof never>[] = [];
    const afterCancel = Promise.withResolvers<unknown>();
    const inner = flow.block(async () => {
      deep.push(never());
      gate.resolve();
      await deep[0];
    });
    const outer = flow.block(async () => {
      const i = inner();
      await i.then(undefined, () => {});
      try {
        never(); // the stopped body ends here: the call throws and starts nothing
        afterCancel.resolve("started");
      } catch (error) {
        afterCancel.resolve(error);
      }
      return 1;
    });
    const o = outer();
    await gate.promise;
    assert.equal(o.cancel("stop"), true);
    await assert.rejects(o, CancelledError);
    assert.equal(deep[0]!.state, "CANCELLED");
    await new Promise<void>((resolve) => queueMicrotask(resolve));
    await deep[0]!.then(undefined, () => {});
    assert.ok((await afterCancel.promise) instanceof CancelledError);
    assert.equal(o.cancel(), false, "cancelling twice reports false");
  });

  it("keeps its members under a workflowScope opened inside it", async () => {
    await using flow = await WorkflowEngine.create();
    const never = flow.functionTask(() => new Promise<number>(() => {}));
    let member: ReturnType<typeof never> | undefined;
    const started = Promise.withResolvers<void>();
    const blk = flow.block(async () => {
      await flow.workflowScope("inner-scope", async () => {
        member = never();
        started.resolve();
        await member;
      });
    });
    const b = blk();
    await started.promise;
    assert.equal(member!.workflowId, "inner-scope");
    b.cancel();
    await assert.rejects(member!, CancelledError);
  });

  it("retries its body and times out like a task", async () => {
    await using flow = await WorkflowEngine.create();
    let attempts = 0;
    const flaky = flow.block(async () => {
      attempts++;
      await Promise.resolve();
      if (attempts < 3) throw new Error(`attempt ${attempts}`);
      return attempts;
    }, { retries: 2 });
    assert.equal(await flaky(), 3);
    const stuck = flow.block(() => new Promise<void>(() => {}), { timeout: 50 });
    await assert.rejects(stuck(), /timed out after 50 ms/);
  });

  it("rejects options that make no sense for a block", async () => {
    await using flow = await WorkflowEngine.create();
    assert.throws(
      () => flow.block(() => 1, { priority: 3 }),
      /option 'priority' does not apply to block tasks/,
    );
  });
});

describe("scopes of tasks started by tasks", () => {
  it("does not attribute a task started by a function task to an unrelated block", async () => {
    await using flow = await WorkflowEngine.create();
    const leaf = flow.functionTask(function leaf() {
      return 1;
    });
    const events: TaskEvent[] = [];
    flow.subscribe((e) => events.push(e));
    let inner: ReturnType<typeof leaf> | undefined;
    // A plain function task (not a block) that calls another task while it runs.
    const starter = flow.functionTask(function starter() {
      inner = leaf();
      return inner;
    });
    const blk = flow.block(async function blk() {
      await Promise.resolve();
      // After an await, this call queues the flush in which `starter` runs, from the block's context.
      return await starter();
    });
    assert.equal(await blk(), 1);
    const created = events.find((e) => e.type === "created" && e.uid === inner!.uid)!;
    assert.equal(created.parent, undefined, "leaf belongs to no block");
  });
});
