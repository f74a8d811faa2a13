import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { after, before, describe, it } from "node:test";
import { runCli, tempDir } from "./_helpers.ts";

let tmp: ReturnType<typeof tempDir>;
let root: string;
let first: { id: string; dir: string };
let second: { id: string; dir: string };

before(async () => {
  tmp = tempDir();
  root = join(tmp.dir, "runs");
  const ok = tmp.write(
    "ok.yaml",
    [
      "name: greet",
      "tasks:",
      "  hello: { command: ['printf', 'hi %s\\n', 'there'], env: { MOOD: calm } }",
      "  loud: { command: 'echo ${{ tasks.hello.output }}!; echo shouted >&2' }",
    ].join("\n"),
  );
  const fails = tmp.write(
    "fails.yaml",
    "name: broken\ntasks:\n  bad: { command: 'echo partial; echo why it broke >&2; exit 7' }\n",
  );
  const run = async (file: string) => {
    const r = await runCli(["run", file, "--runs-dir", root, "-q", "--json"]);
    return JSON.parse(r.stdout).run;
  };
  first = await run(ok);
  second = await run(fails);
});
after(() => tmp.cleanup());

describe("asyncflow log", () => {
  it("lists the runs newest first with status, start, duration, counts and workflow", async () => {
    const r = await runCli(["log", "--runs-dir", root]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split("\n");
    assert.match(lines[0]!, /^RUN +STATUS +STARTED +DURATION +TASKS +WORKFLOW$/);
    assert.match(
      lines[1]!,
      new RegExp(`^${second.id} +failed +\\S+ \\S+ +\\S+ +0 done, 1 failed +broken$`),
    );
    assert.match(lines[2]!, new RegExp(`^${first.id} +succeeded +\\S+ \\S+ +\\S+ +2 done +greet$`));
    assert.equal(lines.length, 3);
  });

  it("--json gives each run's run.json and directory; -n limits", async () => {
    const r = await runCli(["log", "--runs-dir", root, "--json", "-n", "1"]);
    const runs = JSON.parse(r.stdout);
    assert.equal(runs.length, 1);
    assert.equal(runs[0].id, second.id);
    assert.equal(runs[0].dir, second.dir);
    assert.equal(runs[0].status, "failed");
  });

  it("says where it looked when there are no runs", async () => {
    const r = await runCli(["log", "--runs-dir", join(tmp.dir, "none")]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /no runs in '.*none'/);
  });
});

describe("asyncflow show", () => {
  it("the last run by default: its summary, its failure and its tasks", async () => {
    const r = await runCli(["show", "--runs-dir", root]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^run +${second.id} `, "m"));
    assert.match(r.stdout, /^status +failed$/m);
    assert.match(r.stdout, /^command +asyncflow run \S+fails\.yaml --runs-dir \S+ -q --json$/m);
    assert.match(
      r.stdout,
      /^failed +bad \(task\.000001\): ExecutableError: Command .* exited with code 7$/m,
    );
    // CPU and memory, when measured (a command this short may end before any sample).
    assert.match(
      r.stdout,
      /^FAILED +task\.000001 +\S+ +(\d+ms +)?([\d.]+ [KMG]iB +)?7 +process-1 +bad$/m,
    );
  });

  it("a command task by name: what ran, where, the command, exit code and outputs", async () => {
    // The shortest prefix of the first run's id that the second's does not share.
    let n = 1;
    while (second.id.startsWith(first.id.slice(0, n))) n++;
    const r = await runCli(["show", first.id.slice(0, n), "hello", "--runs-dir", root]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^task +hello \(task\.000001\), executable$/m);
    assert.match(r.stdout, /^ {2}command +printf 'hi %s\\n' there$/m);
    assert.match(r.stdout, new RegExp(`^ {2}cwd +${process.cwd()}$`, "m"));
    assert.match(r.stdout, /^ {2}env +MOOD=calm$/m);
    assert.match(r.stdout, new RegExp(`^ {2}host +${hostname()}, pid \\d+$`, "m"));
    assert.match(r.stdout, /^ {2}exit +0$/m);
    assert.match(r.stdout, /^ {2}stdout +\S+task\.000001\.stdout \(9 bytes\)$/m);
    assert.match(r.stdout, /^stdout \(9 bytes\):\n {2}hi there$/m);
  });

  it("a failed task by uid: its exit code, its stderr and the error", async () => {
    const r = await runCli(["show", "last", "task.000001", "--runs-dir", root]);
    assert.match(r.stdout, /^ {2}exit +7$/m);
    assert.match(r.stdout, /^stderr \(13 bytes\):\n {2}why it broke$/m);
    assert.match(r.stdout, /^stdout \(8 bytes\):\n {2}partial$/m);
    assert.match(r.stdout, /^error: +ExecutableError: Command .* exited with code 7$/m);
  });

  it("--json gives the task's records and outputs", async () => {
    const r = await runCli(["show", first.id, "loud", "--runs-dir", root, "--json"]);
    const view = JSON.parse(r.stdout);
    assert.equal(view.state, "DONE");
    assert.equal(view.records[0].command, "echo hi there!; echo shouted >&2");
    assert.equal(view.records[0].exitCode, 0);
    assert.equal(view.stdout.head, "hi there!\n");
    assert.equal(view.stderr.head, "shouted\n");
    assert.ok(existsSync(view.records[0].stdoutPath));
    const run = JSON.parse((await runCli(["show", first.id, "--json", "--runs-dir", root])).stdout);
    assert.equal(run.run.id, first.id);
    assert.deepEqual(run.tasks.map((t: { name: string }) => t.name), ["hello", "loud"]);
  });

  it("names what it cannot find, and suggests", async () => {
    const typo = await runCli(["show", "last", "bda", "--runs-dir", root]);
    assert.equal(typo.code, 2);
    assert.match(
      typo.stderr,
      /no task 'bda' in this run \(did you mean 'bad'\?\): 'asyncflow show <run>' lists its 1 tasks/,
    );
    const none = await runCli(["show", "1999", "--runs-dir", root]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no run '1999' in '.*runs'.*'asyncflow log' lists the runs/);
    const both = await runCli(["show", first.id.slice(0, 2), "--runs-dir", root]);
    assert.match(both.stderr, /run '\d\d' is ambiguous: 2 runs start with it/);
  });
});
