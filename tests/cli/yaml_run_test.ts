import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { TaskEvent } from "../../mod.ts";
import { FIXTURES, ROOT, runCli, tempDir } from "./_helpers.ts";

let tmp: ReturnType<typeof tempDir>;
before(() => (tmp = tempDir()));
after(() => tmp.cleanup());

const TASKS = join(FIXTURES, "tasks.ts");

/** Runs a YAML workflow in-process; returns the exit code and the JSON summary. */
async function runYaml(name: string, text: string, ...flags: string[]) {
  const file = tmp.write(name, text);
  const r = await runCli(["run", file, "--json", "-q", ...flags]);
  assert.ok(r.stdout.trim() !== "", `no summary; stderr: ${r.stderr}`);
  return { code: r.code, summary: JSON.parse(r.stdout), stderr: r.stderr };
}

function readEvents(path: string): TaskEvent[] {
  return readFileSync(path, "utf8").trim().split("\n").map((l) => JSON.parse(l));
}

describe("asyncflow run on YAML workflows", () => {
  it("passes command outputs to functions and functions' results to commands", async () => {
    const out = join(tmp.dir, "total.txt");
    const text = [
      "tasks:",
      "  hello: { command: [echo, 'hello   big world'] }",
      `  count: { function: { module: '${TASKS}', export: words }, args: ['\${{ tasks.hello.output }}'] }`,
      `  sum: { function: { module: '${TASKS}', export: add }, args: ['\${{ tasks.count.output }}', 39] }`,
      `  show: { command: "echo total=\${{ tasks.sum.output }} > '${out}'" }`,
    ].join("\n");
    const { code, summary } = await runYaml("outputs.yaml", text);
    assert.equal(code, 0);
    assert.equal(summary.tasks.done, 4);
    assert.equal(readFileSync(out, "utf8"), "total=42\n");
  });

  it("expands for_each, and a reference to it gives every instance's output", async () => {
    const out = join(tmp.dir, "joined.txt");
    const text = [
      "tasks:",
      "  parts: { command: 'echo ${{ item }}', for_each: [a, b, c] }",
      `  joined: { command: "echo \${{ tasks.parts.output }} > '${out}'" }`,
    ].join("\n");
    const { code, summary } = await runYaml("for_each.yaml", text);
    assert.equal(code, 0);
    assert.equal(summary.tasks.done, 4);
    assert.equal(readFileSync(out, "utf8"), "a b c\n");
  });

  it("runs a block template with parameters taken from another task's output", async () => {
    const out = join(tmp.dir, "pair.txt");
    const text = [
      "blocks:",
      "  pair:",
      "    params: [x]",
      "    tasks:",
      "      one: { command: 'echo ${{ params.x }}-1' }",
      `      two: { command: "echo \${{ tasks.one.output }}-2 > '${out}'" }`,
      "tasks:",
      "  seed: { command: echo 7 }",
      "  p: { block: pair, params: { x: '${{ tasks.seed.output }}' } }",
    ].join("\n");
    const trace = join(tmp.dir, "pair.jsonl");
    const { code } = await runYaml("pair.yaml", text, "--trace", trace);
    assert.equal(code, 0);
    assert.equal(readFileSync(out, "utf8"), "7-1-2\n");
    const names = readEvents(trace).filter((e) => e.type === "created").map((e) => e.name);
    assert.deepEqual(names, ["seed", "p", "p/one", "p/two"]);
  });

  it("retries a failing command and honours timeouts", async () => {
    const flag = join(tmp.dir, "second-try");
    const text = [
      "tasks:",
      `  flaky: { command: "test -e '${flag}' || { touch '${flag}'; exit 3; }", retries: 1 }`,
      "  slow: { command: 'sleep 5', timeout: 200ms }",
    ].join("\n");
    const { code, summary } = await runYaml("retry.yaml", text);
    assert.equal(code, 1);
    assert.equal(summary.status, "failed");
    assert.equal(summary.tasks.retried, 1);
    assert.equal(summary.tasks.done, 1);
    assert.deepEqual(
      summary.failures.map((
        f: { name: string; error: { name: string } },
      ) => [f.name, f.error.name]),
      [
        ["slow", "TimeoutError"],
      ],
    );
  });

  it("fails the dependents of a failed task and exits 1, listing only the root failure", async () => {
    const text =
      "tasks:\n  bad: { command: 'exit 4' }\n  next: { command: 'echo ${{ tasks.bad.output }}' }\n";
    const { code, summary } = await runYaml("fail.yaml", text);
    assert.equal(code, 1);
    assert.equal(summary.tasks.failed, 2);
    assert.equal(summary.failures.length, 1);
    assert.equal(summary.failures[0].name, "bad");
  });

  it("runs examples/campaigns.yaml: three campaigns concurrently, steps in sequence", async () => {
    const trace = join(tmp.dir, "campaigns.jsonl");
    const r = await runCli([
      "run",
      join(ROOT, "examples/campaigns.yaml"),
      "--processes",
      "12",
      "--json",
      "-q",
      "--trace",
      trace,
    ]);
    const summary = JSON.parse(r.stdout);
    assert.equal(r.code, 0);
    assert.equal(summary.tasks.done, 15); // 3 blocks + 12 steps
    // Sequential campaigns would take 6 s; concurrent ones 2 s (generous bound).
    assert.ok(summary.elapsedMs < 4_500, `took ${summary.elapsedMs} ms`);
    const events = readEvents(trace);
    const running = new Map(
      events.filter((e) => e.type === "running").map((e) => [e.name, e.time]),
    );
    const done = new Map(events.filter((e) => e.type === "done").map((e) => [e.name, e.time]));
    for (const c of ["Campaign A", "Campaign B", "Campaign C"]) {
      for (let s = 2; s <= 4; s++) {
        assert.ok(
          running.get(`${c}/step-${s}`)! >= done.get(`${c}/step-${s - 1}`)!,
          `${c} step ${s} started early`,
        );
      }
    }
  });

  it("wires examples/workflow_of_campaigns.yaml: tier 2 after tier 1, D after A1 and B1 (dry run)", async () => {
    const trace = join(tmp.dir, "woc.jsonl");
    const r = await runCli([
      "run",
      join(ROOT, "examples/workflow_of_campaigns.yaml"),
      "--dry-run",
      "-q",
      "--trace",
      trace,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const created = readEvents(trace).filter((e) => e.type === "created");
    const uid = new Map(created.map((e) => [e.name, e.uid]));
    const deps = (name: string) => created.find((e) => e.name === name)!.deps!;
    assert.equal(created.length, 7 + 7 * 4);
    assert.deepEqual(deps("A2"), [uid.get("A1")]);
    assert.deepEqual(deps("D"), [uid.get("A1"), uid.get("B1")]);
    assert.deepEqual(deps("D/step-2"), [uid.get("D/step-1")]);
  });
});

describe("asyncflow run on TypeScript workflows", () => {
  it("runs the default export and waits for tasks it did not await", async () => {
    const trace = join(tmp.dir, "ts.jsonl");
    const r = await runCli([
      "run",
      join(FIXTURES, "workflow.ts"),
      "--json",
      "-q",
      "--trace",
      trace,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).tasks.done, 5);
    const echo = readEvents(trace).find((e) => e.type === "done" && e.name === "echo");
    assert.equal(echo?.value, "14");
  });

  it("exits 2 when the module has no default export function", async () => {
    const r = await runCli(["run", join(FIXTURES, "no_default.ts")]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /must have a default export '\(flow: WorkflowEngine\) => …', got none/);
  });
});
