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

describe("YAML validation of for_each zip/product, block outputs and workflow params", () => {
  it("reports zipped lists of different lengths, naming both", async () => {
    const r = await problems(
      "zip.yaml",
      "tasks:\n  a:\n    command: 'echo ${{ item.p }}'\n    for_each: { zip: { p: [1, 2, 3], q: [a, b] } }\n",
    );
    assert.equal(r.code, 2);
    assert.deepEqual(r.lines, [
      `${r.file}:4:38: tasks.a.for_each.zip.q: zipped lists must be as long as each other: ` +
      "'p' has 3 item(s), 'q' has 2 (use 'product' for every combination)",
    ]);
  });

  it("reports zip and product together, neither, a misspelt one, and empty lists", async () => {
    const text = [
      "tasks:",
      "  both: { command: 'true', for_each: { zip: { p: [1] }, product: { q: [1] } } }",
      "  typo: { command: 'true', for_each: { prodcut: { p: [1] } } }",
      "  none: { command: 'true', for_each: { product: {} } }",
      "  hollow: { command: 'true', for_each: { zip: { p: [] } } }",
      "  number: { command: 'true', for_each: 3 }",
    ].join("\n");
    const r = await problems("forms.yaml", text);
    assert.equal(r.code, 2);
    assert.deepEqual(r.lines, [
      `${r.file}:2:28: tasks.both.for_each: takes 'zip' or 'product', not both`,
      `${r.file}:3:28: tasks.typo.for_each: needs 'zip' (the n-th items together) or 'product' (every combination)`,
      `${r.file}:3:40: tasks.typo.for_each.prodcut: unknown key 'prodcut' (did you mean 'product'?)`,
      `${r.file}:4:40: tasks.none.for_each.product: must name at least one list: { <name>: [values, …] }`,
      `${r.file}:5:49: tasks.hollow.for_each.zip.p: must not be empty`,
      `${r.file}:6:40: tasks.number.for_each: must be a list (one task per element), ` +
      "${{ params.<name> }}, { zip: { <name>: [...], … } } or { product: { <name>: [...], … } }",
    ]);
  });

  it("reports an item key that no list of a product names", async () => {
    const r = await problems(
      "key.yaml",
      "tasks:\n  a:\n    command: 'echo ${{ item.sede }}'\n    for_each: { product: { seed: [1], n: [2] } }\n",
    );
    assert.deepEqual(r.lines, [
      `${r.file}:3:14: tasks.a.command: for_each has no list 'sede' for \${{ item.sede }} ` +
      "(did you mean 'seed'?) (lists: seed, n)",
    ]);
  });

  it("reports a block output's bad expressions and a misspelt 'output' key", async () => {
    const text = [
      "blocks:",
      "  point:",
      "    params: [p]",
      "    output:",
      "      - '${{ tasks.proces.output }}'",
      "      - 'x ${{ tasks.process.output }}'",
      "      - '${{ item }}'",
      "      - '${{ params.q }}'",
      "    tasks: { process: { command: 'true' } }",
      "  other:",
      "    ouput: x",
      "    tasks: { t: { command: 'true' } }",
      "tasks:",
      "  a: { block: point, params: { p: 1 } }",
    ].join("\n");
    const r = await problems("output.yaml", text);
    assert.equal(r.code, 2);
    assert.deepEqual(r.lines, [
      `${r.file}:11:5: blocks.other.ouput: unknown key 'ouput' (did you mean 'output'?)`,
    ]);
    const fixed = await problems("output2.yaml", text.replace("ouput: x", "output: x"));
    assert.deepEqual(fixed.lines, [
      `${fixed.file}:5:9: blocks.point.output[0]: unknown task 'proces' in \${{ tasks.proces.output }} ` +
      "(did you mean 'process'?) (tasks of block 'point': process)",
      `${fixed.file}:6:9: blocks.point.output[1]: in 'output', a task output must be the whole ` +
      "value, not part of a string",
      `${fixed.file}:7:9: blocks.point.output[2]: a block's output has no \${{ item }}: it ` +
      "belongs to the task that iterates",
      `${fixed.file}:8:9: blocks.point.output[3]: unknown parameter 'q' (did you mean 'p'?) ` +
      "(declared: p)",
    ]);
  });

  it("reports the output of a block that declares none", async () => {
    const text = [
      "blocks:",
      "  plain: { tasks: { t: { command: 'true' } } }",
      "tasks:",
      "  b: { block: plain }",
      "  next: { command: 'echo ${{ tasks.b.output }}' }",
    ].join("\n");
    const r = await problems("no_output.yaml", text);
    assert.deepEqual(r.lines, [
      `${r.file}:5:20: tasks.next.command: 'b' is an instance of block 'plain', which has no ` +
      "output: give the block an 'output:' (such as \${{ tasks.<id>.output }} of one of its " +
      "tasks), or list 'b' in 'after' instead",
    ]);
  });

  it("reports an unknown workflow parameter, and a top-level one with none declared", async () => {
    const r = await problems(
      "wparams.yaml",
      "params: { scale: 2 }\ntasks:\n  a: { command: 'echo ${{ params.scael }}' }\n",
    );
    assert.deepEqual(r.lines, [
      `${r.file}:3:17: tasks.a.command: unknown parameter 'scael' (did you mean 'scale'?) ` +
      "(declared: scale)",
    ]);
    const none = await problems(
      "noparams.yaml",
      "tasks:\n  a: { command: 'echo ${{ params.x }}' }\n",
    );
    assert.deepEqual(none.lines, [
      `${none.file}:2:17: tasks.a.command: unknown parameter 'x' (declared: none): top-level ` +
      "tasks see the workflow's 'params:'",
    ]);
  });

  it("reports lists and counts that name a parameter wrongly", async () => {
    const text = [
      "params: { seeds: [1] }",
      "tasks:",
      "  a: { command: 'true', for_each: seeds }",
      "  b: { command: 'true', repeat: x }",
    ].join("\n");
    const r = await problems("iterate.yaml", text);
    assert.deepEqual(r.lines, [
      `${r.file}:3:35: tasks.a.for_each: must be a list, or exactly \${{ params.<name> }} to ` +
      "take a parameter's value",
      `${r.file}:4:33: tasks.b.repeat: must be a whole number of at least 1, or exactly ` +
      "${{ params.<name> }} to take a parameter's value",
    ]);
    const unknown = [
      "params: { seeds: [1] }",
      "tasks:",
      "  a: { command: 'true', for_each: '${{ params.sedes }}' }",
      "  b: { command: 'true', for_each: { product: { s: '${{ params.seds }}' } } }",
      "  c: { command: 'true', repeat: '${{ params.n }}' }",
    ].join("\n");
    const u = await problems("iterate2.yaml", unknown);
    assert.deepEqual(u.lines, [
      `${u.file}:3:35: tasks.a.for_each: unknown parameter 'sedes' (did you mean 'seeds'?) ` +
      "(declared: seeds)",
      `${u.file}:4:51: tasks.b.for_each.product.s: unknown parameter 'seds' (did you mean ` +
      "'seeds'?) (declared: seeds)",
      `${u.file}:5:33: tasks.c.repeat: unknown parameter 'n' (declared: seeds)`,
    ]);
  });
});
