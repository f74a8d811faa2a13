import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { resumeMapOf } from "../../cli/run/resume.ts";
import { runCli, tempDir } from "./_helpers.ts";

let tmp: ReturnType<typeof tempDir>;
before(() => (tmp = tempDir()));
after(() => tmp.cleanup());

describe("asyncflow run --resume", () => {
  it("skips tasks that completed with the same definition and inputs, reruns the rest", async () => {
    const log = join(tmp.dir, "log.txt");
    const ok = join(tmp.dir, "ok");
    const trace = join(tmp.dir, "run.jsonl");
    const workflow = (aText: string) =>
      tmp.write(
        "resume.yaml",
        [
          "tasks:",
          `  a: { command: "echo a >> '${log}'; echo ${aText}" }`,
          `  b: { command: "echo b >> '${log}'; test -e '${ok}' && echo B", after: a }`,
          "  c: { command: 'echo got ${{ tasks.b.output }}' }",
        ].join("\n"),
      );
    const file = workflow("A");
    const first = await runCli(["run", file, "--trace", trace, "--json", "-q"]);
    assert.equal(first.code, 1);
    assert.equal(JSON.parse(first.stdout).tasks.failed, 2);

    writeFileSync(ok, "");
    const second = await runCli(["run", file, "--resume", trace, "--trace", trace, "--json", "-q"]);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(JSON.parse(second.stdout).tasks.resumed, 1);
    assert.equal(readFileSync(log, "utf8"), "a\nb\nb\n"); // a ran once; b ran again.

    // The new trace can be resumed from in turn: now nothing runs.
    const third = await runCli(["run", file, "--resume", trace, "--json", "-q"]);
    assert.equal(JSON.parse(third.stdout).tasks.resumed, 3);
    assert.equal(readFileSync(log, "utf8"), "a\nb\nb\n");

    // A changed command is a different task: it runs again; b only waits for it (`after`), so b and c,
    // with unchanged commands and inputs, are still resumed.
    const changed = await runCli(["run", workflow("A2"), "--resume", trace, "--json", "-q"]);
    assert.equal(changed.code, 0);
    assert.equal(JSON.parse(changed.stdout).tasks.resumed, 2);
    assert.equal(readFileSync(log, "utf8"), "a\nb\nb\na\n");
  });

  it("reads results by memo key, tolerating a cut-off last line but not a corrupt one", () => {
    const line = (o: object) => JSON.stringify({ time: 1, uid: "task.000001", ...o });
    const text = [
      line({ type: "created" }),
      line({ type: "done", memoKey: "k1", result: { n: 1 } }),
      line({ type: "done", memoKey: "k2" }),
      line({ type: "done", value: "no key" }),
      '{"type":"do',
    ].join("\n");
    const map = resumeMapOf(text, "t.jsonl");
    assert.deepEqual([...map], [["k1", { n: 1 }], ["k2", undefined]]);
    assert.throws(
      () => resumeMapOf("nonsense\n" + line({ type: "done" }), "t.jsonl"),
      /t\.jsonl: trace line 1 is not valid JSON .*; is this an asyncflow trace\?/,
    );
    assert.throws(
      () =>
        resumeMapOf(JSON.stringify({ type: "done" }) + "\n" + line({ type: "done" }), "t.jsonl"),
      /t\.jsonl: trace line 1 is not a task event: 'uid' must be a non-empty string/,
      "the same rule as the report: a line that is JSON but not an event",
    );
  });
});
