/**
 * Failure handling: retries with backoff for flaky work, a timeout that kills
 * a hung command, a dependency failure that names its root cause, and a
 * campaign that carries on when one branch fails.
 *
 * Run: deno run -A examples/failures.ts
 */
import { DependencyFailureError, TimeoutError, WorkflowEngine } from "../mod.ts";

await using flow = await WorkflowEngine.create();
flow.subscribe((e) => {
  if (e.type === "retried") {
    console.log(
      `  ${e.name}: attempt ${e.attempt} failed (${e.error?.message}); retry in ${e.delayMs} ms`,
    );
  }
});

// 1. A flaky service call: fails twice, then succeeds; retried with exponential backoff.
let calls = 0;
const fetchData = flow.functionTask(function fetchData() {
  if (++calls < 3) throw new Error("service unavailable");
  return [1, 2, 3];
}, { retries: { max: 4, backoff: "50ms", factor: 2 } });
console.log("1. flaky call ->", await fetchData());

// 2. A command that hangs: the timeout kills it (and its process group); no retry for it.
const hung = flow.executableTask(() => "sleep 60", { timeout: 300 });
try {
  await hung();
} catch (error) {
  console.log("2. hung command ->", error instanceof TimeoutError ? error.message : error);
}

// 3. A failure deep in a chain: dependents do not run; the error names the root cause.
const parse = flow.functionTask(function parse(text: string): number {
  const n = Number(text);
  if (Number.isNaN(n)) throw new SyntaxError(`not a number: '${text}'`);
  return n;
});
const double = flow.functionTask((n: number) => n * 2, { name: "double" });
try {
  await double(double(parse("forty-two")));
} catch (error) {
  if (error instanceof DependencyFailureError) {
    const root = error.rootCause as Error;
    console.log(`3. chain -> ${error.message}\n   root cause: ${root.name}: ${root.message}`);
  }
}

// 4. Independent branches: one fails, the others finish; allSettled collects all outcomes.
const branch = flow.block(async function branch(id: number) {
  const value = await parse(id === 2 ? "oops" : String(id));
  return await double(value);
});
const outcomes = await Promise.allSettled([1, 2, 3].map((id) => branch(id)));
console.log(
  "4. branches ->",
  outcomes.map((o) => (o.status === "fulfilled" ? o.value : `failed: ${o.reason.message}`)),
);
console.log("stats:", flow.stats());
