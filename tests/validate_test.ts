import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { LocalBackend, WorkflowEngine } from "../mod.ts";

/** The form every check's message takes. */
const FORM = /^(?<where>[^:]+): '(?<name>[^']+)' must be (?<what>.+), got (?<value>.+)$/;

/** The message of what `fn` throws. */
function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof TypeError, String(error));
    return error.message;
  }
  assert.fail("nothing was thrown");
}

describe("one set of validators: every message reads the same way", () => {
  it("task options, engine options and LocalBackend options name place, option, rule and value", async () => {
    await using flow = await WorkflowEngine.create();
    const f = () => 1;
    const messages = [
      messageOf(() => flow.functionTask(f, { priority: Number.NaN })),
      messageOf(() => flow.executableTask(() => "true", { env: { A: 1 as never } })),
      messageOf(() => flow.executableTask(() => "true", { resources: { gpusPerRank: -1 } })),
      messageOf(() => flow.executableTask(() => "true", { result: "stderr" as never })),
      messageOf(() => flow.functionTask(f, { timeout: "later" as never })),
      messageOf(() => flow.functionTask(f, { retries: { max: -1 } })),
      messageOf(() => new LocalBackend({ cores: 2.5 })),
      messageOf(() => new LocalBackend({ cwd: 7 as never })),
      messageOf(() => flow.subscribe(null as never)),
      messageOf(() => flow.workflowScope("w", undefined as never)),
      await WorkflowEngine.create({ workDir: 1 as never }).then(() => "", (e: Error) => e.message),
    ];
    const parts = messages.map((m) => {
      const match = FORM.exec(m);
      assert.ok(match, m);
      return [match.groups!.where, match.groups!.name];
    });
    assert.deepEqual(parts, [
      ["functionTask(f)", "priority"],
      ["executableTask(anonymous)", "env.A"],
      ["executableTask(anonymous)", "resources.gpusPerRank"],
      ["executableTask(anonymous)", "result"],
      ["functionTask(f)", "timeout"],
      ["functionTask(f)", "retries.max"],
      ["LocalBackend", "cores"],
      ["LocalBackend", "cwd"],
      ["subscribe", "listener"],
      ["workflowScope", "fn"],
      ["WorkflowEngine.create", "workDir"],
    ]);
  });
});
