import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  type RetryPolicy,
  taskContext,
  type TaskEvent,
  TimeoutError,
  WorkflowEngine,
} from "../mod.ts";

/** Runs `fn` with console.warn recorded. */
async function notices<T>(fn: () => Promise<T>): Promise<{ value: T; notices: string[] }> {
  const seen: string[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => seen.push(args.join(" "));
  try {
    return { value: await fn(), notices: seen };
  } finally {
    console.warn = warn;
  }
}

describe("retries counted one way: re-runs after the first run", () => {
  it("{ max: 2 } and the count 2 both run a failing task three times, attempts 1 to 3", async () => {
    for (const retries of [2, { max: 2 }] as const) {
      await using flow = await WorkflowEngine.create();
      const events: TaskEvent[] = [];
      flow.subscribe((e) => events.push(e));
      const seen: number[] = [];
      const bad = flow.functionTask(function bad(): number {
        seen.push(taskContext().attempt);
        throw new Error(`run ${seen.length}`);
      }, { retries });
      await assert.rejects(bad(), /run 3/);
      assert.deepEqual(seen, [1, 2, 3]);
      const attempts = (type: string) =>
        events.filter((e) => e.type === type).map((e) => e.attempt);
      assert.deepEqual(attempts("running"), [1, 2, 3]);
      assert.deepEqual(attempts("retried"), [1, 2]);
      assert.deepEqual(attempts("failed"), [3]);
    }
  });

  it("names the attempt that timed out, as events number it", async () => {
    await using flow = await WorkflowEngine.create();
    const events: TaskEvent[] = [];
    flow.subscribe((e) => events.push(e));
    const hung = flow.functionTask(() => new Promise<void>(() => {}), {
      name: "hung",
      timeout: "20ms",
      retries: 1,
    });
    await assert.rejects(hung(), (e: unknown) => {
      assert.ok(e instanceof TimeoutError);
      assert.equal(e.attempt, 2);
      assert.match(e.message, /^'hung' \(task\.\d+\) timed out after 20 ms \(attempt 2\)$/);
      return true;
    });
    const retried = events.find((e) => e.type === "retried");
    assert.equal(retried?.attempt, 1);
    assert.match(retried?.error?.message ?? "", /timed out after 20 ms$/);
    assert.equal(events.find((e) => e.type === "failed")?.attempt, 2);
  });

  it("passes retryOn the number of the attempt that failed, counted from 1", async () => {
    await using flow = await WorkflowEngine.create();
    const asked: number[] = [];
    const t = flow.functionTask((): number => {
      throw new Error("x");
    }, { retries: { max: 5, retryOn: (_e, attempt) => (asked.push(attempt), attempt < 2) } });
    await assert.rejects(t(), /x/);
    assert.deepEqual(asked, [1, 2]);
  });

  it("a failed task that never ran has no attempt on its event", async () => {
    await using flow = await WorkflowEngine.create();
    const events: TaskEvent[] = [];
    flow.subscribe((e) => events.push(e));
    const bad = flow.functionTask((): number => {
      throw new Error("x");
    }, { name: "bad" });
    const next = flow.functionTask((n: number) => n, { name: "next" });
    await assert.rejects(next(bad()));
    const failed = events.filter((e) => e.type === "failed");
    assert.deepEqual(failed.map((e) => [e.name, e.attempt]), [["bad", 1], [
      "next",
      undefined,
    ]]);
  });

  it("takes the old spelling { attempts, backoffMs, maxBackoffMs } with one notice each, same count", async () => {
    const { value: runs, notices: said } = await notices(async () => {
      await using flow = await WorkflowEngine.create();
      let runs = 0;
      const old = { attempts: 1, backoffMs: 1, maxBackoffMs: 5 } as RetryPolicy;
      const t = flow.functionTask(function legacy(): number {
        runs++;
        throw new Error("x");
      }, { retries: old });
      await assert.rejects(t(), /x/);
      flow.functionTask(function legacy(): number {
        throw new Error("x");
      }, { retries: old }); // the same notices are not repeated
      return runs;
    });
    assert.equal(runs, 2);
    assert.deepEqual(said, [
      "asyncflow: functionTask(legacy): 'retries.attempts' is deprecated and will be removed: write 'retries.max' (it counts the same re-runs: { max: 3 } runs at most 4 times)",
      `asyncflow: functionTask(legacy): 'retries.backoffMs' is deprecated and will be removed: write 'retries.backoff' (a duration: 500 or "500ms")`,
      `asyncflow: functionTask(legacy): 'retries.maxBackoffMs' is deprecated and will be removed: write 'retries.maxBackoff' (a duration: 30000 or "30s")`,
    ]);
  });

  it("refuses a policy without a count, or with both spellings", async () => {
    await using flow = await WorkflowEngine.create();
    assert.throws(
      () => flow.functionTask(function f() {}, { retries: { backoff: "1s" } }),
      /^TypeError: functionTask\(f\): 'retries\.max' is missing: the number of re-runs after the first run \(retries: \{ max: 3 \} runs at most 4 times\)$/,
    );
    assert.throws(
      () => flow.functionTask(function f() {}, { retries: { max: 1, attempts: 1 } }),
      /^TypeError: functionTask\(f\): 'retries\.attempts' and 'retries\.max' say the same: give only 'max'$/,
    );
    assert.throws(
      () => flow.functionTask(function f() {}, { retries: 1.5 }),
      /^TypeError: functionTask\(f\): 'retries' must be an integer >= 0, got number 1.5$/,
    );
    assert.throws(
      () => flow.functionTask(function f() {}, { retries: { max: 1, tries: 2 } as RetryPolicy }),
      /^TypeError: functionTask\(f\): unknown retry option 'tries' \(known: max, backoff, factor, maxBackoff, retryOn, attempts, backoffMs, maxBackoffMs\)$/,
    );
  });
});
