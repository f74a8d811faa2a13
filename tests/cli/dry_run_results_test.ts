import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runCli, tempDir } from "./_helpers.ts";

let tmp: ReturnType<typeof tempDir>;
before(() => (tmp = tempDir()));
after(() => tmp.cleanup());

const SWEEP = [
  "blocks:",
  "  point:",
  "    params: [seed]",
  "    steps:",
  "      - id: gen",
  "        command: ['generate', '--seed', '${{ params.seed }}', '--out', 'p ${{ params.seed }}.dat']",
  "      - command: 'fit ${{ tasks.gen.output }} --seed ${{ params.seed }}'",
  "tasks:",
  "  p1: { block: point, params: { seed: 1 } }",
  "  p2: { block: point, params: { seed: 2 } }",
].join("\n");

describe("asyncflow run --dry-run", () => {
  it("prints every command it would run, its parameters filled in, and records nothing", async () => {
    const file = tmp.write("sweep.yaml", SWEEP);
    const runs = join(tmp.dir, "dry-runs");
    const r = await runCli(["run", file, "--dry-run", "--runs-dir", runs]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^ok: 6 done, 0 failed, 0 cancelled in \S+ \(dry run\)$/m);
    const commands = r.stdout.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
    // An upstream output is the dry run's placeholder, `dry-run:<task name>`.
    const placeholder = (seed: number) => new RegExp(`^fit dry-run:\\S*gen --seed ${seed}$`);
    assert.equal(commands.length, 4);
    assert.deepEqual(commands.filter((c) => c.startsWith("generate")).sort(), [
      "generate --seed 1 --out 'p 1.dat'",
      "generate --seed 2 --out 'p 2.dat'",
    ]);
    assert.ok(commands.some((c) => placeholder(1).test(c)), r.stdout);
    assert.ok(commands.some((c) => placeholder(2).test(c)), r.stdout);
    assert.match(r.stdout, /^# \S*gen \(task\.\d{6}\)\ngenerate --seed \d /m);
    assert.equal(existsSync(runs), false, "a dry run leaves no run directory");
  });

  it("--json lists the commands with their tasks", async () => {
    const file = tmp.write("sweep2.yaml", SWEEP);
    const r = await runCli(["run", file, "--dry-run", "--json"]);
    const summary = JSON.parse(r.stdout);
    assert.equal(summary.commands.length, 4);
    assert.deepEqual(Object.keys(summary.commands[0]).sort(), ["command", "name", "uid"]);
    assert.equal(summary.run, undefined);
  });
});

describe("the results of a run", () => {
  it("run prints the leaf tasks' results at the end and puts them in --json", async () => {
    const file = tmp.write(
      "leaves.yaml",
      [
        "tasks:",
        "  a: { command: 'echo 20' }",
        "  b: { command: 'echo $((${{ tasks.a.output }} + 22))' }",
        "  c: { command: 'printf \"two\\nlines\\n\"' }",
      ].join("\n"),
    );
    const runs = join(tmp.dir, "leaf-runs");
    const text = await runCli(["run", file, "--runs-dir", runs]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stderr, /^ {2}result: b \(task\.000002\): 42$/m);
    assert.match(text.stderr, /^ {2}result: c \(task\.000003\): two⏎lines$/m);
    assert.doesNotMatch(text.stderr, /result: a /, "a is not a leaf: b depends on it");
    const json = await runCli(["run", file, "--runs-dir", runs, "--json"]);
    assert.deepEqual(JSON.parse(json.stdout).results, [
      { uid: "task.000002", name: "b", value: "42" },
      { uid: "task.000003", name: "c", value: "two\nlines" },
    ]);
  });

  it("a long result is cut on its line; more than ten leaves point to --json", async () => {
    const many = [
      "tasks:",
      ...Array.from({ length: 12 }, (_, i) => `  t${i}: { command: 'echo ${i}' }`),
    ];
    many.push("  long: { command: 'head -c 500 /dev/zero | tr \"\\\\0\" y' }");
    const file = tmp.write("many.yaml", many.join("\n"));
    const r = await runCli(["run", file, "--no-record"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr.match(/^ {2}result: /gm)?.length, 10);
    assert.match(r.stderr, /^ {2}… 3 more results in --json$/m);
    const json = JSON.parse((await runCli(["run", file, "--no-record", "--json"])).stdout);
    assert.equal(json.results.length, 13);
    assert.ok(json.results[12].value.length <= 200);
  });
});
