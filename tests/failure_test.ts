import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { DependencyFailureError, WorkflowEngine } from "../mod.ts";
import { runtime } from "../src/host/runtime.ts";

class DomainError extends Error {
  override name = "DomainError";
  readonly code: number;
  constructor(message: string, code: number) {
    super(message);
    this.code = code;
  }
}

describe("failure propagation", () => {
  it("gives the awaiter the function's own error, type and fields intact", async () => {
    await using flow = await WorkflowEngine.create();
    const bad = flow.functionTask((): number => {
      throw new DomainError("no convergence", 42);
    });
    await assert.rejects(bad(), (e: unknown) => e instanceof DomainError && e.code === 42);
  });

  it("does not run a dependent of a failed task; it fails with DependencyFailureError", async () => {
    await using flow = await WorkflowEngine.create();
    let ran = false;
    const bad = flow.functionTask(function bad(): number {
      throw new RangeError("boom");
    });
    const next = flow.functionTask((n: number) => {
      ran = true;
      return n;
    }, { name: "next" });
    const b = bad();
    const n = next(b);
    await assert.rejects(n, (e: unknown) => {
      assert.ok(e instanceof DependencyFailureError);
      assert.deepEqual(e.failedDependencies, [{ uid: b.uid, name: "bad" }]);
      assert.ok(e.rootCause instanceof RangeError);
      assert.equal(e.cause, e.rootCause);
      assert.match(
        e.message,
        /Cannot run 'next' \(task\.\d+\): dependency 'bad' \(task\.\d+\) failed/,
      );
      return true;
    });
    assert.equal(ran, false);
    assert.equal(n.state, "FAILED");
  });

  it("chains through transitive dependents: cause is the link, rootCause the origin", async () => {
    await using flow = await WorkflowEngine.create();
    const bad = flow.functionTask((): number => {
      throw new RangeError("origin");
    });
    const inc = flow.functionTask((n: number) => n + 1);
    const a = bad();
    const b = inc(a);
    const c = inc(b);
    const d = inc(c);
    const error = await d.then(() => undefined, (e) => e);
    assert.ok(error instanceof DependencyFailureError);
    assert.ok(error.rootCause instanceof RangeError);
    assert.equal((error.rootCause as Error).message, "origin");
    assert.ok(error.cause instanceof DependencyFailureError);
    assert.equal(error.failedDependencies[0]!.uid, c.uid);
    assert.equal((error.cause as DependencyFailureError).failedDependencies[0]!.uid, b.uid);
  });

  it("names every failed dependency known at call time, and only those", async () => {
    await using flow = await WorkflowEngine.create();
    const bad = flow.functionTask((m: string): number => {
      throw new Error(m);
    });
    const good = flow.functionTask(() => 1);
    const join = flow.functionTask((...xs: number[]) => xs.length);
    const [x, y, z] = [bad("x"), good(), bad("z")];
    await Promise.allSettled([x, y, z]);
    const error = await join(x, y, z).then(() => undefined, (e) => e);
    assert.ok(error instanceof DependencyFailureError);
    assert.deepEqual(error.failedDependencies.map((d) => d.uid), [x.uid, z.uid]);
  });

  it("fails a chain of 20 000 without overflowing the stack", async () => {
    await using flow = await WorkflowEngine.create();
    const bad = flow.functionTask((): number => {
      throw new Error("first");
    });
    const inc = flow.functionTask((n: number) => n + 1);
    let f = inc(bad());
    for (let i = 0; i < 20_000; i++) f = inc(f);
    await assert.rejects(f, DependencyFailureError);
    assert.equal(flow.stats().failed, 20_002);
  });

  it("keeps independent workflows running when one fails", async () => {
    await using flow = await WorkflowEngine.create();
    const step = flow.functionTask((wf: number, n: number) => {
      if (wf === 2 && n === 1) throw new Error("wf 2 broke");
      return n;
    });
    const run = flow.block(async (wf: number) => {
      let x = 0;
      for (let n = 0; n < 3; n++) x = await step(wf, n);
      return x;
    });
    const results = await Promise.allSettled([0, 1, 2, 3, 4].map((wf) => run(wf)));
    assert.deepEqual(results.map((r) => r.status), [
      "fulfilled",
      "fulfilled",
      "rejected",
      "fulfilled",
      "fulfilled",
    ]);
  });

  it("never ends the process with an unhandled rejection when nobody awaits a failed task", () => {
    const script = fileURLToPath(new URL("./fixtures/unawaited_failure.ts", import.meta.url));
    const deno = runtime === "deno";
    const args = deno ? ["run", "-A", script] : [script];
    const result = spawnSync(process.execPath, args, { encoding: "utf8", timeout: 30_000 });
    assert.equal(result.status, 0, `exit ${result.status}\n${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /survived: FAILED FAILED DONE/);
  });
});
