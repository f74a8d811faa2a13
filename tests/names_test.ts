/**
 * Readable names: a task called in a block is named under it (`outer/inner/task`), an instance of
 * a block carries its primitive arguments or its key (`point[3]/generate`), a call can be named
 * with `.with({ name })`, and a function without a name is named where it was defined. The
 * progress, the errors, the trace and the report all show them.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  DependencyFailureError,
  ExecutableError,
  taskContext,
  type TaskEvent,
  WorkflowEngine,
} from "../mod.ts";
import { memoryIo } from "../cli/io.ts";
import { ProgressView } from "../cli/run/progress.ts";
import { renderReport } from "../report/mod.ts";
import { DefinitionNames } from "../src/names.ts";

/** Records every event of a run. */
function record(flow: WorkflowEngine): TaskEvent[] {
  const events: TaskEvent[] = [];
  flow.subscribe((e) => events.push(e));
  return events;
}

const created = (events: TaskEvent[]) => events.filter((e) => e.type === "created");

describe("task names", () => {
  it("names a task under its blocks, nested, and a block by its primitive arguments", async () => {
    await using flow = await WorkflowEngine.create();
    const events = record(flow);
    const generate = flow.functionTask(function generate(n: number) {
      return taskContext().name + ` ${n}`;
    });
    const inner = flow.block(async function inner(n: number, _options: { x: number }) {
      return await generate(n);
    });
    const outer = flow.block(async function outer(_label: string) {
      return await inner(7, { x: 1 });
    });
    assert.equal(await outer("A"), "outer[A]/inner[7]/generate 7");
    assert.deepEqual(
      created(events).map((e) => [e.name, e.template]),
      [["outer[A]", "outer"], ["outer[A]/inner[7]", "inner"], [
        "outer[A]/inner[7]/generate",
        "generate",
      ]],
    );
  });

  it("keeps a task called outside any block under its own name, with no template field", async () => {
    await using flow = await WorkflowEngine.create();
    const events = record(flow);
    const add = flow.functionTask(function add(a: number, b: number) {
      return a + b;
    });
    const f = add(1, 2);
    assert.equal(f.name, "add");
    await f;
    assert.equal(created(events)[0]!.name, "add");
    assert.equal("template" in created(events)[0]!, false);
  });

  it("names an instance by its key, and a call by the name given to .with()", async () => {
    await using flow = await WorkflowEngine.create();
    const events = record(flow);
    const step = flow.functionTask(function step() {
      return 1;
    });
    const point = flow.block(async function point(_cfg: { seed: number }) {
      await step.with({ key: "first" })();
    });
    await point.with({ key: 3 })({ seed: 1 });
    await point.with({ name: "calibration" })({ seed: 2 });
    await point({ seed: 3 }); // no primitive argument, no key: the template's name alone
    assert.deepEqual(created(events).map((e) => e.name), [
      "point[3]",
      "point[3]/step[first]",
      "calibration",
      "calibration/step[first]",
      "point",
      "point/step[first]",
    ]);
    assert.ok(
      created(events).filter((e) => e.kind === "block").every((e) =>
        (e.template ?? e.name) === "point"
      ),
    );
    assert.throws(
      () => step.with({ key: {} as unknown as string }),
      /'key' must be a string or a finite number/,
    );
  });

  it("bounds the arguments shown in a block's name", async () => {
    await using flow = await WorkflowEngine.create();
    const long = "x".repeat(500);
    const b = flow.block(function b(_a: string, _n: number, _t: boolean) {
      return taskContext().name;
    });
    const name = await b(long, 2, true);
    assert.ok(name.length < 80, name);
    assert.match(name, /^b\[x+…,2,true\]$/);
  });

  it("names an anonymous function where it was defined, never just 'function'", async () => {
    await using flow = await WorkflowEngine.create();
    const [anonymous, here] = [flow.functionTask((x: number) => x), new Error()];
    const line = here.stack!.match(/names_test\.ts:(\d+)/)![1];
    assert.equal(anonymous.taskName, `names_test.ts:${line}`);
    const f = anonymous(1);
    assert.equal(f.name, `names_test.ts:${line}`);
    await f;
  });

  it("names a function defined in evaluated code after the line that evaluated it", {
    // Bun's stack gives evaluated code the enclosing file's name with the evaluated code's line:
    // nothing in the frame tells it apart, so there the name is that line.
    skip: "Bun" in globalThis ? "Bun's frames do not mark evaluated code" : false,
  }, async () => {
    await using flow = await WorkflowEngine.create();
    const define = new Function("flow", "return flow.functionTask(() => 1);");
    const [task, here] = [define(flow) as { taskName: string }, new Error()];
    const line = here.stack!.match(/names_test\.ts:(\d+)/)![1];
    assert.equal(task.taskName, `names_test.ts:${line}`);
  });

  it("counts anonymous definitions per engine when the stack does not say where", () => {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0; // a runtime or a setting that hides the stack
    try {
      const a = new DefinitionNames();
      const b = new DefinitionNames();
      assert.equal(a.of(undefined, () => 1, "function"), "function-1");
      assert.equal(a.of(undefined, () => 1, "block"), "block-2");
      assert.equal(b.of(undefined, () => 1, "function"), "function-1");
    } finally {
      Error.stackTraceLimit = limit;
    }
  });
});

describe("a sweep of 20 points", () => {
  it("shows 20 distinct names in the progress, the errors and the report, each with its uid", async () => {
    await using flow = await WorkflowEngine.create();
    const events = record(flow);
    const io = memoryIo(false);
    const progress = new ProgressView(io, () => flow.stats());
    flow.subscribe(progress.onEvent);
    const generate = flow.executableTask((n: number) => ["sh", "-c", `echo ${n}; exit 3`], {
      name: "generate",
    });
    const analyse = flow.functionTask(function analyse(text: string) {
      return text.length;
    });
    const point = flow.block(async function point(n: number) {
      return await analyse(generate(n));
    });
    const points = Array.from({ length: 20 }, (_, n) => point(n));
    const outcomes = await Promise.allSettled(points);
    progress.finish();

    // The futures and the errors.
    const expected = Array.from({ length: 20 }, (_, n) => `point[${n}]/generate`);
    assert.deepEqual(points.map((p) => p.name), expected.map((n) => n.split("/")[0]));
    const messages = outcomes.map((o) => {
      assert.equal(o.status, "rejected");
      const error = (o as PromiseRejectedResult).reason;
      assert.ok(error instanceof DependencyFailureError);
      assert.ok(error.rootCause instanceof ExecutableError);
      return error.message;
    });
    expected.forEach((name, n) => {
      const uid = created(events).find((e) => e.name === name)!.uid;
      assert.ok(messages[n]!.includes(`'${name}' (${uid})`), messages[n]);
    });
    assert.equal(new Set(messages).size, 20);

    // The progress: one failure line per generate, naming it and its uid.
    const failedLines = io.stderr.split("\n").filter((l) =>
      / failed +point\[\d+\]\/generate /.test(l)
    );
    const shown = new Set(
      failedLines.map((l) => l.match(/(point\[\d+\]\/generate) \((task\.\d+)\)/)![1]),
    );
    assert.deepEqual([...shown].sort(), [...expected].sort());

    // The trace and the report.
    const failed = events.filter((e) => e.type === "failed" && e.kind === "executable");
    assert.deepEqual(failed.map((e) => e.name).sort(), [...expected].sort());
    const html = renderReport(events);
    for (const name of expected) {
      const uid = created(events).find((e) => e.name === name)!.uid;
      assert.ok(html.includes(`<td>${name}</td>`), `the report names ${name}`);
      assert.ok(html.includes(`<code>${uid}</code>`));
    }
  });
});
