import assert from "node:assert/strict";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runCli, tempDir } from "./_helpers.ts";

let tmp: ReturnType<typeof tempDir>;
before(() => (tmp = tempDir()));
after(() => tmp.cleanup());

/** generate → process → aggregate over a sweep of 4, wired by declared files alone. */
function campaign(dir: string): string {
  return [
    "name: files",
    "tasks:",
    "  generate:",
    "    for_each: [1, 2, 3, 4]",
    "    command: mkdir -p gen && cp in/p${{ item }}.txt gen/p${{ item }}.dat",
    `    cwd: ${dir}`,
    '    inputs: ["in/p${{ item }}.txt"]',
    '    outputs: ["gen/p${{ item }}.dat"]',
    "  process:",
    "    for_each: [1, 2, 3, 4]",
    "    command: mkdir -p out && tr a-z A-Z < gen/p${{ item }}.dat > out/p${{ item }}.dat",
    `    cwd: ${dir}`,
    '    inputs: ["gen/p${{ item }}.dat"]',
    '    outputs: ["out/p${{ item }}.dat"]',
    "  aggregate:",
    "    command: cat out/p*.dat > out/all.txt",
    `    cwd: ${dir}`,
    "    inputs: [out/p1.dat, out/p2.dat, out/p3.dat, out/p4.dat]",
    "    outputs: [out/all.txt]",
  ].join("\n");
}

/** What ran in a run (its log lines name every task that was not resumed), sorted. */
function ran(stderr: string): string[] {
  return [...stderr.matchAll(/^\[[\d:.]+\] done +(\S+) \(task\.\d+\) in /gm)].map((m) => m[1]!)
    .sort();
}

describe("YAML inputs: and outputs:", () => {
  it("runs a file campaign, then reruns only what its files say, saying why", async () => {
    const dir = join(tmp.dir, "campaign");
    mkdirSync(join(dir, "in"), { recursive: true });
    for (const i of [1, 2, 3, 4]) writeFileSync(join(dir, "in", `p${i}.txt`), `point ${i}\n`);
    const file = tmp.write("files.yaml", campaign(dir));
    const runs = ["--runs-dir", join(tmp.dir, "runs")];
    const again = (...extra: string[]) =>
      runCli(["run", file, "--resume", "last", ...runs, ...extra]);

    const first = await runCli(["run", file, ...runs]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(ran(first.stderr).length, 9);
    assert.equal(
      readFileSync(join(dir, "out", "all.txt"), "utf8"),
      "POINT 1\nPOINT 2\nPOINT 3\nPOINT 4\n",
    );

    const second = await again();
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(ran(second.stderr), []);
    assert.match(second.stderr, /^ok: 9 done, 0 failed, 0 cancelled, 9 resumed in /m);
    assert.match(second.stderr, /nothing to do: every task was done and up to date/);

    rmSync(join(dir, "out", "p3.dat"));
    const third = await again();
    assert.deepEqual(ran(third.stderr), ["process[3]"]);
    assert.match(third.stderr, /\] rerun +process\[3\] \(task\.\d+\): out\/p3\.dat missing$/m);
    const shown = await runCli(["show", "last", "process[3]", ...runs]);
    assert.match(shown.stdout, /^rerun +out\/p3\.dat missing$/m);
    assert.match(shown.stdout, /^inputs +gen\/p3\.dat \(8 bytes, sha256 [0-9a-f]{12}…\)$/m);
    assert.match(shown.stdout, /^outputs +out\/p3\.dat \(8 bytes, sha256 [0-9a-f]{12}…\)$/m);
    const summary = await runCli(["show", "last", ...runs]);
    assert.match(summary.stdout, /^rerun +process\[3\] \(task\.\d+\): out\/p3\.dat missing$/m);

    writeFileSync(join(dir, "in", "p2.txt"), "point two\n");
    const fourth = await again("-q");
    assert.equal(fourth.stderr, "", "quiet: no rerun lines either");
    const fifth = await again("--force", "generate", "--force", "generat");
    assert.match(
      fifth.stderr,
      /^warning: '--force generat' matched no task of this run \(by name or template\)$/m,
    );
    assert.deepEqual(ran(fifth.stderr), [
      "generate[1]",
      "generate[2]",
      "generate[3]",
      "generate[4]",
    ]);
    assert.match(fifth.stderr, /\] rerun +generate\[4\] \(task\.\d+\): forced$/m);
    assert.equal(
      readFileSync(join(dir, "out", "all.txt"), "utf8"),
      "POINT 1\nPOINT TWO\nPOINT 3\nPOINT 4\n",
    );
  });

  it("creates the writers of a file before its readers, wherever the file lists them", async () => {
    const dir = join(tmp.dir, "listed-first");
    mkdirSync(join(dir, "in"), { recursive: true });
    for (const i of [1, 2, 3, 4]) writeFileSync(join(dir, "in", `p${i}.txt`), `point ${i}\n`);
    // The same campaign with its tasks listed readers first: aggregate, process, generate.
    const [head, generate, process, aggregate] = campaign(dir).split(/\n(?= {2}\w+:\n)/);
    const file = tmp.write("listed-first.yaml", [head, aggregate, process, generate].join("\n"));
    const r = await runCli(["run", file, "--no-record"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      readFileSync(join(dir, "out", "all.txt"), "utf8"),
      "POINT 1\nPOINT 2\nPOINT 3\nPOINT 4\n",
    );
  });

  it("reruns exactly the dependents of a changed input", async () => {
    const dir = join(tmp.dir, "changed");
    mkdirSync(join(dir, "in"), { recursive: true });
    for (const i of [1, 2, 3, 4]) writeFileSync(join(dir, "in", `p${i}.txt`), `point ${i}\n`);
    const file = tmp.write("changed.yaml", campaign(dir));
    const runs = ["--runs-dir", join(tmp.dir, "runs-changed")];
    assert.equal((await runCli(["run", file, ...runs, "-q"])).code, 0);
    writeFileSync(join(dir, "in", "p2.txt"), "point two\n");
    const second = await runCli(["run", file, "--resume", "last", ...runs]);
    assert.deepEqual(ran(second.stderr), ["aggregate", "generate[2]", "process[2]"]);
    assert.match(second.stderr, /rerun +generate\[2\] \(task\.\d+\): in\/p2\.txt changed$/m);
    assert.match(second.stderr, /rerun +process\[2\] \(task\.\d+\): gen\/p2\.dat changed$/m);
    assert.match(second.stderr, /rerun +aggregate \(task\.\d+\): out\/p2\.dat changed$/m);

    // `asyncflow resume --force` reruns the task; resuming that run again does not force it again.
    const forced = await runCli(["resume", "--force", "aggregate", ...runs]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.deepEqual(ran(forced.stderr), ["aggregate"]);
    assert.match(forced.stderr, /^resuming run \S+: asyncflow run .* --force aggregate$/m);
    const plain = await runCli(["resume", ...runs]);
    assert.deepEqual(ran(plain.stderr), []);
    assert.doesNotMatch(plain.stderr, /--force/);
  });

  it("fails a task whose declared output is missing, naming the file", async () => {
    const dir = join(tmp.dir, "missing");
    mkdirSync(dir);
    const file = tmp.write(
      "missing.yaml",
      `tasks:\n  make: { command: "true", cwd: ${dir}, outputs: [out.dat] }\n`,
    );
    const r = await runCli(["run", file, "--no-record", "-q"]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /failed: make \(task\.000001\): MissingOutputError: 'make' \(task\.000001\) succeeded but did not write out\.dat/,
    );
  });

  it("refuses --force without --resume", async () => {
    const file = tmp.write("force.yaml", "tasks:\n  a: { command: 'true' }\n");
    const r = await runCli(["run", file, "--force", "a", "--no-record"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /'--force a' reruns a task of a resumed run: add '--resume <run>'/);
  });

  it("validates the keys with file:line:col messages", async () => {
    const lines = async (name: string, text: string[]) => {
      const file = tmp.write(name, text.join("\n"));
      const r = await runCli(["run", file, "--no-record", "-q"]);
      assert.equal(r.code, 2);
      return r.stderr.split("\n").filter((l) => l.startsWith(file)).map((l) =>
        l.slice(file.length)
      );
    };
    assert.deepEqual(
      await lines("types.yaml", [
        "tasks:",
        "  a: { command: 'true', inputs: in.txt }",
        "  b: { command: 'true', outputs: [''] }",
        "  c: { block: t, outputs: [x] }",
        "blocks:",
        "  t: { tasks: { x: { command: 'true' } } }",
      ]),
      [
        `:2:33: tasks.a.inputs: must be a list, got the string "in.txt"`,
        ":3:35: tasks.b.outputs[0]: must not be empty",
        ":4:18: tasks.c.outputs: 'outputs' does not apply to blocks",
      ],
    );
    assert.deepEqual(
      await lines("refs.yaml", [
        "tasks:",
        "  a: { command: 'true' }",
        "  c: { command: 'true', outputs: ['${{ tasks.a.output }}'] }",
        "  d: { command: 'true', inputs: ['${{ item }}'] }",
      ]),
      [
        ":3:35: tasks.c.outputs[0]: task outputs can be used in command, args and params, not in 'outputs'",
        ":4:34: tasks.d.inputs[0]: ${{ item }} needs 'for_each' or 'repeat' on the same task",
      ],
    );
  });
});
