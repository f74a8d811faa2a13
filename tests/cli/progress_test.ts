/**
 * The live progress on a terminal: one line per template with its counts, failures printed
 * above as they happen with the task's name, an ETA only when the finished tasks tell one, and
 * every line within the terminal's width. Driven by a real run's events, and once through a real
 * pseudo-terminal (`script`, from util-linux).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import process from "node:process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type TaskEvent, WorkflowEngine } from "../../mod.ts";
import { memoryIo } from "../../cli/io.ts";
import { ProgressView } from "../../cli/run/progress.ts";
import {
  MAX_TEMPLATE_LINES,
  TemplateCounts,
  templateLines,
} from "../../cli/run/progress_counts.ts";
import { cliArgv, tempDir } from "./_helpers.ts";

let tmp: ReturnType<typeof tempDir>;
before(() => (tmp = tempDir()));
after(() => tmp.cleanup());

/** What a terminal would show last: the text after the final redraw, escapes removed. */
function screenLines(stderr: string): string[] {
  // deno-lint-ignore no-control-regex
  return stderr.replace(/\x1b\[\d*[AJK]/g, "").split(/\r|\n/).filter((l) => l !== "");
}

const base = { kind: "executable" as const, workflowId: "main" };
const ev = (type: TaskEvent["type"], uid: string, time: number, extra: Partial<TaskEvent> = {}) =>
  ({ ...base, type, uid, name: uid, time, ...extra }) as TaskEvent;

describe("the progress on a terminal", () => {
  it("counts per template, prints each failure above the lines with its name, fits 80 columns", async () => {
    await using flow = await WorkflowEngine.create();
    const io = memoryIo(true);
    io.columns = 80;
    const view = new ProgressView(io, () => flow.stats());
    flow.subscribe(view.onEvent);
    const generate = flow.executableTask(
      (n: number) => ["sh", "-c", n % 7 === 3 ? `echo 'bad input ${n}' >&2; exit 3` : `echo ${n}`],
      { name: "generate" },
    );
    const analyse = flow.functionTask(function analyse(text: string) {
      return text.length;
    });
    const point = flow.block(async function point(n: number) {
      return await analyse(generate(n));
    });
    await Promise.allSettled(Array.from({ length: 20 }, (_, n) => point(n)));
    view.finish();

    // Each failing command (points 3, 10, 17) has its line, with its name and uid, printed once.
    for (const n of [3, 10, 17]) {
      const lines = io.stderr.split("\n").filter((l) =>
        new RegExp(`failed +point\\[${n}\\]/generate \\(task\\.\\d+\\)`).test(l)
      );
      assert.equal(lines.length, 1, `one line for point[${n}]/generate`);
    }
    // A dependency failure (of analyse, and of the block that awaited it) is counted, not printed.
    assert.doesNotMatch(io.stderr, /failed +point\[\d+\]\/analyse/);
    assert.doesNotMatch(io.stderr, /failed +block point/);

    const shown = screenLines(io.stderr.slice(io.stderr.lastIndexOf("\r\x1b[J")));
    assert.deepEqual(shown.slice(0, 3), [
      "point (block) [100%] 20 of 20 · 3 failed",
      "generate      [100%] 20 of 20 · 3 failed",
      "analyse       [100%] 20 of 20 · 3 failed",
    ]);
    assert.match(shown[3]!, /^51\/60 done · 0 running · 0 pending · 9 failed \| /);
    assert.equal(shown.length, 4);
    for (const line of screenLines(io.stderr)) {
      if (line.startsWith("failed ") || line.startsWith("  ")) continue; // printed, not redrawn
      assert.ok(line.length < 80, `${line.length} columns: ${line}`);
    }
  });

  it("prints a failure that comes after the end below the final lines, moving back over nothing", () => {
    const io = memoryIo(true);
    const stats = {
      created: 1,
      pending: 0,
      running: 0,
      done: 0,
      failed: 1,
      cancelled: 0,
      retried: 0,
    };
    const view = new ProgressView(io, () => stats);
    view.finish();
    const before = io.stderr;
    view.onEvent(ev("failed", "late", 1, { error: { name: "Error", message: "too late" } }));
    assert.equal(io.stderr.slice(before.length), "failed    late (late): Error: too late\n");
  });

  it("shows at most a few templates, summing up the rest in one line", () => {
    const counts = new TemplateCounts();
    for (let t = 0; t < 12; t++) {
      const template = `a-rather-long-template-name-number-${t}`;
      counts.onEvent(ev("created", `t${t}`, 0, { template }));
    }
    const lines = templateLines(counts.rows(), 40);
    assert.equal(lines.length, MAX_TEMPLATE_LINES);
    assert.equal(lines.at(-1), "… 5 more templates: 0 of 5");
    for (const line of lines) assert.ok(line.length < 40, line);
    assert.match(lines[0]!, /^a-rather-long-template-… \[ {2}0%\] 0 of 1$/);
  });

  it("drops the least telling parts of the status line before it would wrap", () => {
    const stats = {
      created: 123_456,
      pending: 100_000,
      running: 4_000,
      done: 19_000,
      failed: 456,
      cancelled: 1,
      retried: 789,
    };
    const view = new ProgressView(memoryIo(false), () => stats);
    const wide = view.statusLine(200);
    assert.match(wide, / · 789 retried \| [\d.]+ tasks\/s \| /);
    const narrow = view.statusLine(80);
    assert.ok(narrow.length < 80, narrow);
    assert.match(narrow, /^19000\/123456 done · 4000 running · /);
    assert.match(narrow, /456 failed/);
  });
});

describe("the ETA", () => {
  it("is absent until every template with tasks left has one finished", () => {
    const counts = new TemplateCounts();
    counts.onEvent(ev("created", "g1", 0, { template: "generate" }));
    counts.onEvent(ev("created", "g2", 0, { template: "generate" }));
    counts.onEvent(ev("created", "a1", 0, { template: "analyse" }));
    assert.equal(counts.etaMs(0), undefined, "nothing has finished");
    counts.onEvent(ev("running", "g1", 0));
    counts.onEvent(ev("done", "g1", 4_000));
    assert.equal(counts.etaMs(4_000), undefined, "analyse has no finished task yet");
    counts.onEvent(ev("running", "a1", 4_000));
    counts.onEvent(ev("done", "a1", 5_000));
    assert.equal(counts.etaMs(5_000), 4_000, "one generate of 4 s left");
    counts.onEvent(ev("running", "g2", 5_000));
    assert.equal(counts.etaMs(6_000), 3_000, "it has run 1 s of its 4");
    assert.equal(counts.etaMs(60_000), 0, "overdue: no negative time");
    counts.onEvent(ev("done", "g2", 9_000));
    assert.equal(counts.etaMs(9_000), undefined, "nothing left");
  });

  it("shares the work by the tasks running now, and leaves blocks and resumed tasks out", () => {
    const counts = new TemplateCounts();
    counts.onEvent(ev("created", "b1", 0, { kind: "block", template: "point" }));
    for (let i = 0; i < 6; i++) counts.onEvent(ev("created", `s${i}`, 0, { template: "sim" }));
    counts.onEvent(ev("done", "s0", 0, { resumed: true })); // took no time: says nothing
    counts.onEvent(ev("running", "s1", 0));
    counts.onEvent(ev("done", "s1", 10_000));
    counts.onEvent(ev("running", "s2", 10_000));
    counts.onEvent(ev("running", "s3", 10_000));
    // s2, s3 have 10 s each to go, s4 and s5 10 s each: 40 s of work on 2 running tasks.
    assert.equal(counts.etaMs(10_000), 20_000);
    // A retried attempt stops running; its next attempt starts from nothing.
    counts.onEvent(ev("retried", "s3", 12_000));
    assert.equal(counts.etaMs(12_000), 8_000 + 3 * 10_000);
  });

  it("appears in the status line only when it can be told", () => {
    const io = memoryIo(true);
    const stats = {
      created: 2,
      pending: 1,
      running: 0,
      done: 1,
      failed: 0,
      cancelled: 0,
      retried: 0,
    };
    const view = new ProgressView(io, () => stats);
    view.onEvent(ev("created", "t1", 0, { template: "x" }));
    view.onEvent(ev("created", "t2", 0, { template: "x" }));
    assert.doesNotMatch(view.statusLine(), /ETA/);
    view.onEvent(ev("running", "t1", 0));
    view.onEvent(ev("done", "t1", 30_000));
    assert.match(view.statusLine(), / \| ETA 0:30\.0$/);
    view.finish();
  });
});

describe("the progress through a pseudo-terminal", () => {
  const haveScript = spawnSync("script", ["--version"]).status === 0;
  it("draws the template lines and prints a failure with its name", {
    skip: haveScript ? false : "util-linux 'script' is not installed",
  }, () => {
    const workflow = join(tmp.dir, "sweep.yaml");
    writeFileSync(
      workflow,
      [
        "tasks:",
        "  generate:",
        "    for_each: [1, 2, 3, 4]",
        `    command: ["sh", "-c", "test $0 != 3 || exit 5", "\${{ item }}"]`,
        "",
      ].join("\n"),
    );
    const command = cliArgv("run", workflow).map((a) => `'${a}'`).join(" ");
    const r = spawnSync("script", ["-qefc", command, "/dev/null"], {
      encoding: "utf8",
      env: { ...process.env, COLUMNS: "80" },
      timeout: 60_000,
    });
    const out = r.stdout;
    assert.equal(r.status, 1, out);
    assert.match(out, /failed +generate\[3\] \(task\.\d+\) in [\d.]+s: ExecutableError: /);
    assert.match(out, /3\/4 done · 0 running · 0 pending · 1 failed \| /);
    assert.ok(out.includes("\r\x1b[J"), "redrawn in place, as on a terminal");
  });
});
