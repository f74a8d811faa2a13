import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { NoopBackend, WorkflowEngine } from "../mod.ts";
import { ReadyQueue } from "../src/ready_queue.ts";
import { ManualBackend } from "./fixtures/manual_backend.ts";

describe("scheduler", () => {
  it("never gives a backend more than its capacity, and submits the rest as slots free up", async () => {
    const backend = new ManualBackend("manual", 2);
    await using flow = await WorkflowEngine.create({ backend });
    const t = flow.functionTask(function t(n: number) {
      return n;
    });
    const futures = [1, 2, 3, 4, 5].map((n) => t.with({ name: `t${n}` })(n));
    await backend.waitForSubmitted(2);
    await Promise.resolve();
    assert.deepEqual(backend.submitted.map((s) => s.name), ["t1", "t2"]);
    backend.finish("t1", 1);
    await backend.waitForSubmitted(3);
    assert.equal(backend.submitted[2]!.name, "t3");
    for (const n of [2, 3, 4, 5]) {
      await backend.waitForSubmitted(Math.min(n + 1, 5));
      backend.finish(`t${n}`, n);
    }
    assert.deepEqual(await Promise.all(futures), [1, 2, 3, 4, 5]);
  });

  it("hands waiting tasks to the backend by priority, first come first served among equals", async () => {
    const backend = new ManualBackend("manual", 1);
    await using flow = await WorkflowEngine.create({ backend });
    const t = flow.functionTask(function job() {
      return 0;
    });
    const blocker = t.with({ name: "blocker" })();
    await backend.waitForSubmitted(1);
    const order = [["low", -1], ["a", 0], ["urgent", 10], ["b", 0], ["high", 5]] as const;
    const futures = order.map(([name, priority]) => t.with({ name, priority })());
    await Promise.resolve();
    backend.finish("blocker", 0);
    for (let i = 0; i < order.length; i++) {
      await backend.waitForSubmitted(i + 2);
      backend.finish(backend.submitted[i + 1]!.name, 0);
    }
    await Promise.all([blocker, ...futures]);
    assert.deepEqual(backend.submitted.slice(1).map((s) => s.name), [
      "urgent",
      "high",
      "a",
      "b",
      "low",
    ]);
    assert.equal(backend.submitted[1]!.priority, 10);
  });

  it("routes tasks to backends by name; the first backend is the default", async () => {
    const cpu = new ManualBackend("cpu");
    const gpu = new ManualBackend("gpu");
    await using flow = await WorkflowEngine.create({ backends: [cpu, gpu] });
    assert.deepEqual(flow.backendNames, ["cpu", "gpu"]);
    flow.functionTask(function plain() {})();
    flow.functionTask(function train() {}, { backend: "gpu" })();
    await cpu.waitForSubmitted(1);
    await gpu.waitForSubmitted(1);
    assert.equal(cpu.submitted[0]!.name, "plain");
    assert.equal(gpu.submitted[0]!.name, "train");
  });

  it("refuses two backends with one name", async () => {
    await assert.rejects(
      WorkflowEngine.create({ backends: [new NoopBackend(), new NoopBackend()] }),
      /Two backends are named 'default'/,
    );
  });

  it("carries resources, priority, attempt and workflow to the backend", async () => {
    const backend = new ManualBackend();
    await using flow = await WorkflowEngine.create({ backend });
    flow.executableTask(function mpi() {
      return ["mpirun", "a.out"];
    }, {
      resources: { ranks: 4, coresPerRank: 2, gpusPerRank: 1 },
      env: { A: "1" },
      cwd: "/tmp",
    })();
    await backend.waitForSubmitted(1);
    const spec = backend.submitted[0]!;
    assert.deepEqual(spec.resources, { ranks: 4, coresPerRank: 2, gpusPerRank: 1 });
    assert.deepEqual(spec.command, ["mpirun", "a.out"]);
    assert.deepEqual(spec.env, { A: "1" });
    assert.equal(spec.cwd, "/tmp");
    assert.equal(spec.attempt, 1);
    assert.equal(spec.workflowId, "main");
  });

  it("gives each retry a fresh submission id and ignores reports about an abandoned attempt", async () => {
    const backend = new ManualBackend();
    await using flow = await WorkflowEngine.create({ backend });
    const f = flow.functionTask(function flaky() {
      return 0;
    }, { retries: 1 })();
    await backend.waitForSubmitted(1);
    const first = backend.submitted[0]!.id;
    backend.ctx.failed(first, new Error("lost node"));
    await backend.waitForSubmitted(2);
    const second = backend.submitted[1]!.id;
    assert.equal(second, `${f.uid}#2`);
    backend.ctx.done(first, "stale");
    assert.equal(f.state, "PENDING");
    backend.ctx.done(second, "fresh");
    assert.equal(await f, "fresh");
  });

  it("fails a task, rather than hanging, when the engine errs while handling a report", async () => {
    const backend = new ManualBackend();
    await using flow = await WorkflowEngine.create({ backend });
    const t = flow.functionTask(function first() {
      return 1;
    });
    const a = t();
    // A dependent whose executable body throws: it runs while the engine applies a's report.
    const b = flow.executableTask((_n: number): string => {
      throw new Error("body bug");
    })(a);
    await backend.waitForSubmitted(1);
    backend.finish("first", 1);
    assert.equal(await a, 1);
    await assert.rejects(b, /body bug/);
  });

  it("runs a dry run on no-op backends of the same names: wiring checked, nothing executed", async () => {
    await using flow = await WorkflowEngine.create({
      backends: [new ManualBackend("hpc")],
      dryRun: true,
    });
    let ran = false;
    const f = flow.functionTask(function simulate() {
      ran = true;
      return 1;
    }, { backend: "hpc" });
    const rm = flow.executableTask((x: unknown) => ["rm", "-rf", String(x)], {
      backend: "hpc",
      name: "rm",
    });
    assert.equal(await rm(f()), "dry-run:rm");
    assert.equal(ran, false);
    assert.equal(flow.dryRun, true);
  });

  it("orders a ReadyQueue by priority, then arrival, switching from FIFO to heap", () => {
    const q = new ReadyQueue<{ priority: number; seq: number; id: number }>();
    const items = Array.from(
      { length: 200 },
      (_, id) => ({ priority: id % 7 === 0 ? id % 3 : 0, seq: 0, id }),
    );
    for (const item of items) q.push(item);
    const out: number[] = [];
    for (let item = q.pop(); item; item = q.pop()) out.push(item.id);
    const expected = [...items].sort((a, b) => b.priority - a.priority || a.id - b.id).map((i) =>
      i.id
    );
    assert.deepEqual(out, expected);
    assert.equal(q.size, 0);
  });
});
