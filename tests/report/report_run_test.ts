/**
 * What the report tells of a run beyond its timeline: the workflow's name, description and
 * command line, whether it was interrupted, root failures apart from the failures they caused,
 * statistics per template, resumed tasks, and the task table with exit codes. The traces are
 * recorded from real runs (commands and functions on the local backend).
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { type TaskEvent, WorkflowEngine } from "../../mod.ts";
import { buildGraph } from "../../graph/mod.ts";
import { renderReport, type ReportRunInfo } from "../../report/mod.ts";
import { failureCauses } from "../../report/failures.ts";
import { templateStats } from "../../report/template_stats.ts";

/** A sweep of 6 points: point 2's command exits 3; its analysis never runs; its block fails. */
async function sweep(options: Parameters<typeof WorkflowEngine.create>[0] = {}) {
  await using flow = await WorkflowEngine.create(options);
  const events: TaskEvent[] = [];
  flow.subscribe((e) => events.push(e));
  const generate = flow.executableTask(
    (n: number) => ["sh", "-c", n === 2 ? "exit 3" : `echo ${n}`],
    { name: "generate" },
  );
  const analyse = flow.functionTask(function analyse(text: string) {
    return Number(text) * 2;
  });
  const point = flow.block(async function point(n: number) {
    return await analyse(generate(n));
  });
  const points = Array.from({ length: 6 }, (_, n) => point(n));
  await Promise.allSettled(points);
  return events;
}

/** The text of a table's column, row by row, as the page holds it. */
function column(html: string, tableId: string, index: number): string[] {
  const table = html.match(new RegExp(`<table[^>]* id="${tableId}">(.*?)</table>`, "s"))![1]!;
  const body = table.slice(table.indexOf("<tbody>"));
  return [...body.matchAll(/<tr[^>]*>(.*?)<\/tr>/gs)].map((r) => {
    const cells = [...r[1]!.matchAll(/<td[^>]*>(.*?)<\/td>/gs)].map((c) => c[1]!);
    return cells[index]!.replace(/<[^>]+>/g, "");
  });
}

describe("the report of a run", () => {
  let events: TaskEvent[];
  before(async () => {
    events = await sweep();
  });

  it("heads the page with the workflow's name, description, command line and status", () => {
    const run: ReportRunInfo = {
      argv: ["asyncflow", "run", "sweep.yaml", "--label", "night <1>"],
      cwd: "/scratch/me",
      startedAt: Date.parse("2026-12-01T12:00:00Z"),
      endedAt: "2026-12-01T12:01:05Z",
      status: "failed",
      name: "Parameter sweep",
      description: "Six points & their analyses",
    };
    const html = renderReport(events, { run });
    assert.match(html, /<title>Parameter sweep<\/title>/);
    assert.match(html, /<h1>Parameter sweep<\/h1><p class="description">Six points &amp; their/);
    assert.match(
      html,
      /<code id="run-command">asyncflow run sweep.yaml --label &#39;night &lt;1&gt;&#39;<\/code>/,
    );
    assert.match(html, /<dt>directory<\/dt><dd>\/scratch\/me<\/dd>/);
    assert.match(html, /<dt>ended<\/dt><dd>2026-12-01T12:01:05.000Z \(1 min 05 s\)<\/dd>/);
    assert.match(html, /id="run-status" class="status failed"/);
    assert.equal(
      renderReport(events, { run, title: "given" }).match(/<h1>(.*?)<\/h1>/)![1],
      "given",
    );
    // The run directory's own form: the workflow's name and description under `workflow`.
    const fromRunJson = renderReport(events, {
      run: { workflow: { file: "sweep.yaml", name: "From run.json", description: "d" } },
    });
    assert.match(fromRunJson, /<h1>From run.json<\/h1><p class="description">d<\/p>/);
  });

  it("says a run was interrupted: by its status, or by tasks the trace leaves unfinished", () => {
    const cut = events.slice(0, events.findIndex((e) => e.type === "done"));
    const unfinished = buildGraph(cut).nodes.filter((n) => n.state !== "DONE").length;
    assert.ok(unfinished > 0);
    assert.match(
      renderReport(cut),
      new RegExp(`class="status interrupted"[^>]*>The trace ends with ${unfinished} tasks`),
    );
    assert.match(
      renderReport(cut, { run: { status: "interrupted" } }),
      new RegExp(`class="status interrupted"[^>]*>Interrupted: ${unfinished} tasks`),
    );
    assert.match(renderReport(cut, { run: { status: "running" } }), /class="status running"/);
    assert.match(renderReport(events), /class="status failed"/);
    assert.doesNotMatch(renderReport(events), /status interrupted/);
  });

  it("leads with the root failure and tells the failures it caused apart", () => {
    const graph = buildGraph(events);
    const byName = (name: string) => graph.nodes.find((n) => n.name === name)!;
    const root = byName("point[2]/generate");
    const causes = failureCauses(graph);
    assert.equal(causes.get(root.uid)!.kind, "root");
    assert.equal(causes.get(byName("point[2]/analyse").uid)!.kind, "dependency");
    assert.equal(causes.get(byName("point[2]").uid)!.kind, "member");
    for (const n of ["point[2]/analyse", "point[2]"]) {
      assert.deepEqual(causes.get(byName(n).uid)!.roots.map((r) => r.uid), [root.uid]);
    }
    const html = renderReport(events);
    // The failures come right after the summary, before the timeline and the graph.
    const order = [...html.matchAll(/<section id="([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(order.slice(0, 3), ["summary", "problems", "by-template"]);
    assert.deepEqual(column(html, "failures", 1), ["point[2]/generate"]);
    assert.deepEqual(column(html, "dependency-failures", 1).sort(), [
      "point[2]",
      "point[2]/analyse",
    ]);
    assert.deepEqual(
      column(html, "dependency-failures", 4),
      [`point[2]/generate ${root.uid}`, `point[2]/generate ${root.uid}`],
    );
  });

  it("gives statistics per template: counts, failures and min/median/max durations", () => {
    const stats = templateStats(buildGraph(events));
    const generate = stats.find((s) => s.template === "generate")!;
    assert.deepEqual(
      [generate.kind, generate.count, generate.done, generate.failed],
      ["executable", 6, 5, 1],
    );
    assert.ok(generate.minMs! <= generate.medianMs! && generate.medianMs! <= generate.maxMs!);
    const point = stats.find((s) => s.template === "point")!;
    assert.deepEqual([point.count, point.done, point.failed], [6, 5, 1]);
    assert.deepEqual(stats.map((s) => s.template).sort(), ["analyse", "generate", "point"]);
    const html = renderReport(events);
    assert.deepEqual(column(html, "templates", 0), ["point", "generate", "analyse"]);
    assert.deepEqual(column(html, "templates", 2), ["6", "6", "6"]);
  });

  it("lists every task in a sortable table, resumed ones marked, with exit codes", async () => {
    const recorded = await sweep({ recordResults: true });
    const resume = new Map(
      recorded.filter((e) => e.type === "done" && e.memoKey).map((e) => [e.memoKey!, e.result]),
    );
    const second = await sweep({ resume });
    const html = renderReport(second);
    const names = column(html, "tasks", 0);
    assert.equal(names.length, 18);
    assert.equal(new Set(names).size, 18, "every task has its own name");
    const states = column(html, "tasks", 3);
    const resumed = states.filter((s) => s.endsWith("(resumed)")).length;
    assert.equal(resumed, second.filter((e) => e.type === "done" && e.resumed).length);
    assert.ok(resumed >= 10, `${resumed} resumed`);
    assert.deepEqual(
      templateStats(buildGraph(second)).map((s) => [s.template, s.resumed]),
      [["point", 0], ["generate", 5], ["analyse", 5]],
    );
    // A backend that reports what it ran puts the exit code on the attempt's final event.
    const withRecord = second.map((e) =>
      e.type === "failed" && e.kind === "executable"
        ? { ...e, record: { command: ["sh", "-c", "exit 3"], exitCode: 3 } }
        : e
    );
    const exits = column(renderReport(withRecord), "tasks", 6);
    assert.equal(exits.filter((x) => x === "3").length, 1);
    assert.match(renderReport(withRecord), /<td>3<\/td><td class="err-name">ExecutableError/);
  });
});
