import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { TaskFuture, WorkflowEngine } from "../mod.ts";

describe("dependencies", () => {
  it("resolves positional futures to their values", async () => {
    await using flow = await WorkflowEngine.create();
    const add = flow.functionTask((a: number, b: number) => a + b);
    assert.equal(await add(add(1, 2), add(3, 4)), 10);
  });

  it("tracks futures inside option objects, arrays and nested plain objects as dependencies", async () => {
    await using flow = await WorkflowEngine.create();
    let release!: (v: number) => void;
    const slow = flow.functionTask(() => new Promise<number>((r) => (release = r)));
    const one = flow.functionTask(() => 1);
    const seen: unknown[] = [];
    const consume = flow.functionTask(
      (opts: { x: number; list: number[]; deep: { inner: { y: number } } }) => {
        seen.push(opts);
        return opts.x + opts.list[0]! + opts.list[1]! + opts.deep.inner.y;
      },
    );
    const s = slow();
    const input = { x: s, list: [one(), 10], deep: { inner: { y: s } } };
    const f = consume(input);
    // The consumer must not run before the slow producer finishes (the original resolved option
    // futures without waiting for them).
    await one();
    assert.equal(seen.length, 0);
    assert.equal(f.state, "PENDING");
    release(5);
    assert.equal(await f, 5 + 1 + 10 + 5);
    assert.deepEqual(seen[0], { x: 5, list: [1, 10], deep: { inner: { y: 5 } } });
    assert.ok(input.x instanceof TaskFuture, "the caller's object is not mutated");
  });

  it("waits for 'after' futures without passing their values", async () => {
    await using flow = await WorkflowEngine.create();
    const order: string[] = [];
    let release!: () => void;
    const first = flow.functionTask(() =>
      new Promise<void>((r) => (release = r)).then(() => order.push("first"))
    );
    const second = flow.functionTask((...args: unknown[]) => {
      order.push("second");
      return args.length;
    });
    const a = first();
    const b = second.with({ after: [a] })();
    await Promise.resolve();
    assert.deepEqual(order, []);
    release();
    assert.equal(await b, 0);
    assert.deepEqual(order, ["first", "second"]);
  });

  it("runs an executable's body only after its dependencies, with their values", async () => {
    await using flow = await WorkflowEngine.create();
    const bodyArgs: unknown[] = [];
    const word = flow.functionTask(() => "hello");
    const say = flow.executableTask((w: string, n: number) => {
      bodyArgs.push(w, n);
      return ["echo", w, String(n)];
    });
    assert.equal(await say(word(), 3), "hello 3");
    assert.deepEqual(bodyArgs, ["hello", 3]);
  });

  it("accepts a dependency that finished long before the call", async () => {
    await using flow = await WorkflowEngine.create();
    const one = flow.functionTask(() => 1);
    const double = flow.functionTask((n: number) => n * 2);
    const done = one();
    await done;
    assert.equal(await double(done), 2);
  });

  it("lets one future feed many consumers and many futures feed one (fan-out, fan-in)", async () => {
    await using flow = await WorkflowEngine.create();
    const seed = flow.functionTask(() => 3);
    const times = flow.functionTask((n: number, k: number) => n * k);
    const sum = flow.functionTask((xs: number[]) => xs.reduce((a, b) => a + b, 0));
    const s = seed();
    const parts = Array.from({ length: 100 }, (_, k) => times(s, k));
    assert.equal(await sum(parts), 3 * ((99 * 100) / 2));
  });

  it("rejects a foreign promise among the arguments with a clear error", async () => {
    await using flow = await WorkflowEngine.create();
    const id = flow.functionTask((x: unknown) => x);
    assert.throws(
      () => id({ p: Promise.resolve(1) } as never),
      /argument 1\.p is a promise that is not a TaskFuture/,
    );
  });

  it("rejects a future of another engine with a clear error", async () => {
    await using a = await WorkflowEngine.create();
    await using b = await WorkflowEngine.create();
    const gate = Promise.withResolvers<number>();
    const wait = a.functionTask(() => gate.promise);
    const pending = wait();
    const id = b.functionTask((x: number) => x);
    assert.throws(() => id(pending), /belongs to another WorkflowEngine/);
    gate.resolve(1);
    await pending;
    assert.equal(await id(pending), 1, "a finished future of another engine is just a value");
  });

  it("refuses a task that depends on the block it is called from", async () => {
    await using flow = await WorkflowEngine.create();
    const id = flow.functionTask((x: unknown) => x);
    const blk = flow.block((): TaskFuture<unknown> => id(self));
    const self = blk();
    await assert.rejects(self, /cannot depend on block\.\d+ .*the block it is called from/);
  });

  it("uses plain values, class instances and functions as they are", async () => {
    await using flow = await WorkflowEngine.create();
    class Point {
      readonly x: number;
      constructor(x: number) {
        this.x = x;
      }
    }
    const p = new Point(2);
    const id = flow.functionTask((v: Point, f: () => number) => [v, f()] as const);
    const [v, r] = await id(p, () => 7);
    assert.equal(v, p);
    assert.equal(r, 7);
  });
});
