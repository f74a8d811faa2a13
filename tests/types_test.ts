// Compile-time checks of the typed API: `deno check` (run in CI) fails if a
// `@ts-expect-error` line stops being an error or a good line stops compiling.
// The one runtime test below makes every runner load this file.
import { it } from "node:test";
import assert from "node:assert/strict";
import type { TaskFuture, WorkflowEngine } from "../mod.ts";

async function typed(flow: WorkflowEngine) {
  const toStr = flow.functionTask((n: number) => String(n));
  const len = flow.functionTask((s: string) => s.length);
  const sum = flow.functionTask((xs: number[], opts: { scale: number }) =>
    xs.reduce((a, b) => a + b) * opts.scale
  );
  const cmd = flow.executableTask((file: string, n: number) => ["head", "-n", String(n), file]);
  const blk = flow.block((name: string, ...after: unknown[]) =>
    Promise.resolve(`${name}${after.length}`)
  );

  const s: TaskFuture<string> = toStr(1);
  const n: TaskFuture<number> = len(s); // a future where a value is expected
  sum([n, 2, len("abc")], { scale: n }); // futures inside arrays and option objects
  const out: TaskFuture<string> = cmd(s, n);
  const both = flow.executableTask(() => "make", { result: "output" });
  const streams: TaskFuture<{ stdout: string; stderr: string }> = both();
  // @ts-expect-error with result: "output" the future holds both streams, not a string
  const notText: TaskFuture<string> = both();
  const b: TaskFuture<string> = blk("A", out, n);
  const value: string = await b;
  const all: [string, number] = await Promise.all([s, n]);

  // @ts-expect-error a future of the wrong type
  len(n);
  // @ts-expect-error a value of the wrong type
  toStr("1");
  // @ts-expect-error a wrong element type inside an array
  sum([s], { scale: 1 });
  // @ts-expect-error a wrong future inside an option object
  sum([1], { scale: s });
  // @ts-expect-error executable bodies must return a command
  flow.executableTask(() => 42);
  // @ts-expect-error unknown option
  flow.functionTask(() => 1, { retrys: 1 });
  // @ts-expect-error executable-only options are not task options for `with` of a function task
  toStr.with({ cwd: "/" });
  return [value, all, streams, notText];
}

it("type-checks the typed task API (see deno check)", () => {
  assert.equal(typeof typed, "function");
});
