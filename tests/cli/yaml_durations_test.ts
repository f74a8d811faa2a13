import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type TaskEvent, WorkflowEngine } from "../../mod.ts";
import { yamlWorkflow } from "../../cli/yaml/build.ts";
import { parseYamlWorkflow, WorkflowFileError } from "../../cli/yaml/load.ts";
import { tempDir } from "./_helpers.ts";

let tmp: ReturnType<typeof tempDir>;
before(() => (tmp = tempDir()));
after(() => tmp.cleanup());

/** Runs a YAML text on a real engine; returns its events and the deprecation notices. */
async function run(
  name: string,
  text: string,
): Promise<{ events: TaskEvent[]; notices: string[] }> {
  const notices: string[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => notices.push(args.join(" "));
  try {
    const loaded = await parseYamlWorkflow(text, join(tmp.dir, name));
    await using flow = await WorkflowEngine.create({ workDir: tmp.dir });
    const events: TaskEvent[] = [];
    flow.subscribe((e) => events.push(e));
    await yamlWorkflow(loaded)(flow);
    return { events, notices };
  } finally {
    console.warn = warn;
  }
}

/** The messages a YAML text is refused with. */
async function refused(name: string, text: string): Promise<string[]> {
  const error = await parseYamlWorkflow(text, join(tmp.dir, name)).then(
    () => assert.fail("the file was accepted"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof WorkflowFileError);
  return error.issues.map((i) => `${i.line}:${i.col}: ${i.field}: ${i.message}`);
}

describe("YAML: durations and retries read as in TypeScript", () => {
  it("reads compound durations (1h30m) and times a command out by '150ms'", async () => {
    const { events, notices } = await run(
      "timeouts.yaml",
      "tasks:\n  quick: { command: 'true', timeout: 1h30m }\n  slow: { command: 'sleep 5', timeout: 150ms }\n",
    );
    assert.deepEqual(notices, []);
    const failed = events.find((e) => e.type === "failed");
    assert.equal(failed?.name, "slow");
    assert.match(failed?.error?.message ?? "", /timed out after 150 ms/);
    assert.ok(events.some((e) => e.type === "done" && e.name === "quick"));
  });

  it("refuses '5 minutes' with the forms it accepts and what to write", async () => {
    const lines = await refused(
      "bad.yaml",
      "tasks:\n  a:\n    command: 'true'\n    timeout: 5 minutes\n    retries: { max: 1, backoff: soon }\n",
    );
    assert.deepEqual(lines, [
      '4:14: tasks.a.timeout: must be a duration of more than zero: a string such as "500ms", "30s", "5m", "1h30m" (units ms, s, m, h, d), got the string "5 minutes" (write "5m")',
      '5:33: tasks.a.retries.backoff: must be a duration of zero or more: a string such as "500ms", "30s", "5m", "1h30m" (units ms, s, m, h, d), got the string "soon"',
    ]);
  });

  it("counts retries as re-runs: { max: 2 } runs a failing command three times", async () => {
    const log = join(tmp.dir, "runs-max.log");
    const { events, notices } = await run(
      "max.yaml",
      `tasks:\n  bad: { command: "echo run >> '${log}'; exit 3", retries: { max: 2, backoff: 1ms } }\n`,
    );
    assert.deepEqual(notices, []);
    assert.equal(readFileSync(log, "utf8"), "run\nrun\nrun\n");
    const retried = events.filter((e) => e.type === "retried").map((e) => e.attempt);
    assert.deepEqual(retried, [1, 2]); // attempts numbered from the first run
    assert.equal(events.find((e) => e.type === "failed")?.attempt, 3);
  });

  it("takes the old spellings with a notice at their line that says what to write", async () => {
    const log = join(tmp.dir, "runs-old.log");
    const { notices } = await run(
      "old.yaml",
      [
        "tasks:",
        "  old:",
        `    command: "echo run >> '${log}'; exit 3"`,
        "    timeout: 30",
        "    retries: { attempts: 1, backoff: 0.001 }",
      ].join("\n"),
    );
    assert.equal(readFileSync(log, "utf8"), "run\nrun\n"); // the same count: one re-run
    const file = join(tmp.dir, "old.yaml");
    assert.deepEqual(notices, [
      `asyncflow: ${file}:4:14: tasks.old.timeout: a duration as a bare number (seconds) is deprecated and will be refused: write "30s"`,
      `asyncflow: ${file}:5:26: tasks.old.retries.attempts: 'attempts' is deprecated and will be removed: write 'max: 1' (the same count of re-runs: the task runs at most 2 times)`,
      `asyncflow: ${file}:5:38: tasks.old.retries.backoff: a duration as a bare number (seconds) is deprecated and will be refused: write "0.001s"`,
    ]);
  });

  it("refuses 'max' and 'attempts' together", async () => {
    const lines = await refused(
      "both.yaml",
      "tasks:\n  a: { command: 'true', retries: { max: 1, attempts: 1 } }\n",
    );
    assert.equal(lines.length, 1);
    assert.match(
      lines[0]!,
      /tasks\.a\.retries\.max: 'max' and its old spelling 'attempts' say the same: give only 'max'$/,
    );
  });
});
