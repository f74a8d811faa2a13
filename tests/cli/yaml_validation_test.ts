import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runCli, tempDir } from "./_helpers.ts";

/** Runs a YAML text and returns the error lines (`file:line:col: field: message`). */
async function problems(
  name: string,
  text: string,
): Promise<{ code: number; lines: string[]; file: string }> {
  const file = tmp.write(name, text);
  const { code, stderr } = await runCli(["run", file, "-q"]);
  return { code, file, lines: stderr.split("\n").filter((l) => l.startsWith(file)) };
}

let tmp: ReturnType<typeof tempDir>;
before(() => (tmp = tempDir()));
after(() => tmp.cleanup());

describe("YAML validation: every mistake named with file, line and field; nothing runs", () => {
  it("reports an unknown task in 'after'", async () => {
    const r = await problems(
      "after.yaml",
      "tasks:\n  b: { command: echo b }\n  a:\n    command: echo a\n    after: [b, ghost]\n",
    );
    assert.equal(r.code, 2);
    assert.deepEqual(r.lines, [
      `${r.file}:5:16: tasks.a.after[1]: unknown task 'ghost' (tasks here: b, a)`,
    ]);
  });

  it("reports an unknown task in an output reference", async () => {
    const r = await problems(
      "ref.yaml",
      "tasks:\n  a:\n    command: 'echo ${{ tasks.nope.output }}'\n",
    );
    assert.equal(r.code, 2);
    assert.match(r.lines[0] ?? "", /ref\.yaml:3:14: tasks\.a\.command: unknown task 'nope'/);
  });

  it("reports a cycle with its path", async () => {
    const text = [
      "tasks:",
      "  a: { command: 'echo ${{ tasks.c.output }}' }",
      "  b: { command: echo b, after: a }",
      "  c: { command: echo c, after: [b] }",
    ].join("\n");
    const r = await problems("cycle.yaml", text);
    assert.equal(r.code, 2);
    assert.deepEqual(r.lines, [`${r.file}:2:3: tasks.a: the tasks form a cycle: a -> c -> b -> a`]);
  });

  it("reports a wrong type", async () => {
    const r = await problems(
      "type.yaml",
      "tasks:\n  a:\n    command: echo a\n    timeout: [1]\n    retries: -1\n",
    );
    assert.equal(r.code, 2);
    assert.equal(r.lines.length, 2);
    assert.match(
      r.lines[0]!,
      /type\.yaml:4:5: tasks\.a\.timeout: must be a duration of more than zero: a string such as "500ms", "30s", "5m", "1h30m" \(units ms, s, m, h, d\), got an array of length 1$/,
    );
    assert.equal(r.lines[1], `${r.file}:5:14: tasks.a.retries: must be at least 0, got -1`);
  });

  it("reports an unknown key at the key", async () => {
    const r = await problems("key.yaml", "name: x\ntasks:\n  a:\n    comand: echo a\n");
    assert.equal(r.code, 2);
    assert.ok(
      r.lines.includes(
        `${r.file}:4:5: tasks.a.comand: unknown key 'comand' (did you mean 'command'?)`,
      ),
      r.lines.join("\n"),
    );
    assert.ok(
      r.lines.some((l) =>
        l.includes("tasks.a: a task needs one of 'command', 'function' or 'block'")
      ),
    );
  });

  it("reports a missing required field and an unknown block", async () => {
    const r1 = await problems("empty.yaml", "name: nothing\n");
    assert.deepEqual(r1.lines, [`${r1.file}:1:1: tasks: is required`]);
    const r2 = await problems(
      "block.yaml",
      "tasks:\n  a: { block: campain }\nblocks:\n  campaign: { steps: [{ command: 'true' }] }\n",
    );
    assert.match(
      r2.lines[0] ?? "",
      /block\.yaml:2:15: tasks\.a\.block: unknown block 'campain' \(blocks: campaign\)/,
    );
  });

  it("reports parameters that do not match the block", async () => {
    const text = [
      "blocks:",
      "  c:",
      "    params: [name]",
      "    steps:",
      "      - command: 'echo ${{ params.nmae }}'",
      "tasks:",
      "  x: { block: c, params: { other: 1 } }",
    ].join("\n");
    const r = await problems("params.yaml", text);
    assert.deepEqual(r.lines, [
      `${r.file}:5:18: blocks.c.steps[0].command: unknown parameter 'nmae' (did you mean 'name'?) (declared: name)`,
      `${r.file}:7:15: tasks.x.block: block 'c' needs parameter 'name'`,
      `${r.file}:7:28: tasks.x.params.other: block 'c' has no parameter 'other' (declared: name)`,
    ]);
  });

  it("reports a function export that does not exist", async () => {
    tmp.write("fns.ts", "export function real() { return 1; }\n");
    const r = await problems(
      "fn.yaml",
      "tasks:\n  a:\n    function: { module: ./fns.ts, export: unreal }\n",
    );
    assert.equal(r.code, 2);
    assert.match(
      r.lines[0] ?? "",
      /fn\.yaml:3:43: tasks\.a\.function\.export: module '\.\/fns\.ts' has no function export 'unreal' \(functions: real\)/,
    );
  });

  it("reports YAML syntax errors with their position", async () => {
    const r = await problems("syntax.yaml", "tasks:\n  a: { command: echo\n");
    assert.equal(r.code, 2);
    assert.match(r.lines[0] ?? "", /syntax\.yaml:\d+:\d+: YAML syntax: /);
  });

  it("lists every mistake at once and runs nothing", async () => {
    const marker = join(tmp.dir, "ran.txt");
    const text = [
      "tasks:",
      `  good: { command: "touch '${marker}'" }`,
      "  bad1: { command: echo, after: missing }",
      "  bad2: { command: 'echo ${{ item }}' }",
    ].join("\n");
    const r = await problems("all.yaml", text);
    assert.equal(r.code, 2);
    assert.equal(r.lines.length, 2, r.lines.join("\n"));
    assert.match(r.lines[0]!, /all\.yaml:3:33: tasks\.bad1\.after: unknown task 'missing'/);
    assert.match(
      r.lines[1]!,
      /all\.yaml:4:20: tasks\.bad2\.command: \$\{\{ item \}\} needs 'for_each' or 'repeat'/,
    );
    assert.equal(existsSync(marker), false);
  });
});
