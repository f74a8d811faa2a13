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

/** Runs a YAML workflow in-process with a trace; returns the exit code, summary and events. */
async function runYaml(name: string, text: string, ...flags: string[]) {
  const file = tmp.write(name, text);
  const trace = join(tmp.dir, `${name}.jsonl`);
  const r = await runCli(["run", file, "--json", "-q", "--no-record", "--trace", trace, ...flags]);
  assert.ok(r.stdout.trim() !== "", `no summary; stderr: ${r.stderr}`);
  const events: TaskEvent[] = readFileSync(trace, "utf8").trim().split("\n").map((l) =>
    JSON.parse(l)
  );
  return { code: r.code, summary: JSON.parse(r.stdout), events, stderr: r.stderr };
}

/** The result each task ended with, by name (a block's: its value's preview, as text). */
function values(events: TaskEvent[]): Map<string, unknown> {
  return new Map(
    events.filter((e) => e.type === "done").map((e) => {
      const { result, value } = e as { result?: unknown; value?: unknown };
      return [e.name, e.kind === "block" ? value : result];
    }),
  );
}

const SWEEP = [
  "blocks:",
  "  point:",
  "    params: [p]",
  "    output: '${{ tasks.process.output }}'",
  "    tasks:",
  "      generate: { command: 'echo $(( ${{ params.p }} * 10 ))' }",
  "      process: { command: 'echo $(( ${{ tasks.generate.output }} + ${{ params.p }} ))' }",
  "tasks:",
  "  sweep: { block: point, for_each: [4, 3, 2, 1], params: { p: '${{ item }}' } }",
  `  aggregate: { function: { module: '${TASKS}', export: sum }, args: ['\${{ tasks.sweep.output }}'] }`,
].join("\n");

describe("YAML block outputs", () => {
  it("aggregates a sweep of 4 through the block's output, in instance order", async () => {
    const { code, events } = await runYaml("sweep.yaml", SWEEP);
    assert.equal(code, 0);
    const v = values(events);
    assert.deepEqual(
      [4, 3, 2, 1].map((p) => v.get(`sweep[${p}]`)),
      ["44", "33", "22", "11"],
      "each instance resolves to its process task's output",
    );
    assert.equal(v.get("aggregate"), 110);
    // The dependency follows the expression: aggregate waits for the four blocks.
    const created = events.filter((e) => e.type === "created");
    const uid = new Map(created.map((e) => [e.name, e.uid]));
    const deps = created.find((e) => e.name === "aggregate")!.deps;
    assert.deepEqual(deps, [4, 3, 2, 1].map((p) => uid.get(`sweep[${p}]`)));
  });

  it("resolves a list or a mapping of outputs and parameters", async () => {
    const text = [
      "blocks:",
      "  pair:",
      "    params: [x]",
      "    output: { x: '${{ params.x }}', both: ['${{ tasks.a.output }}', '${{ tasks.b.output }}'] }",
      "    steps:",
      "      - { id: a, command: 'echo a${{ params.x }}' }",
      "      - { id: b, command: 'echo b${{ params.x }}' }",
      "tasks:",
      "  one: { block: pair, params: { x: 1 } }",
      `  show: { function: { module: '${TASKS}', export: identity }, args: ['\${{ tasks.one.output }}'] }`,
    ].join("\n");
    const { code, events } = await runYaml("pair.yaml", text);
    assert.equal(code, 0);
    assert.deepEqual(values(events).get("show"), { x: 1, both: ["a1", "b1"] });
  });

  it("fails the task that reads the output of a block whose member failed", async () => {
    const text = [
      "blocks:",
      "  point:",
      "    output: '${{ tasks.t.output }}'",
      "    tasks: { t: { command: 'exit 3' } }",
      "tasks:",
      "  b: { block: point }",
      "  next: { command: 'echo ${{ tasks.b.output }}' }",
    ].join("\n");
    const { code, summary, events } = await runYaml("fails.yaml", text);
    assert.equal(code, 1);
    assert.ok(summary.failures.some((f: { name: string }) => f.name === "b/t"));
    const failed = new Map(
      events.filter((e) => e.type === "failed").map((e) => [e.name, e.error?.name]),
    );
    assert.equal(failed.get("next"), "DependencyFailureError");
    assert.equal(events.some((e) => e.type === "running" && e.name === "next"), false);
  });
});

describe("YAML for_each with zip and product", () => {
  it("zips named lists: the n-th items together, named by their values", async () => {
    const text = [
      "tasks:",
      "  run:",
      "    command: 'echo ${{ item.p }}-${{ item.q }}'",
      "    for_each: { zip: { p: [1, 2, 3], q: [a, b, c] } }",
    ].join("\n");
    const { code, events } = await runYaml("zip.yaml", text);
    assert.equal(code, 0);
    const done = events.filter((e) => e.type === "done");
    assert.deepEqual(
      done.map((e) => [e.name, (e as { result?: unknown }).result]).sort(),
      [["run[p=1,q=a]", "1-a"], ["run[p=2,q=b]", "2-b"], ["run[p=3,q=c]", "3-c"]],
    );
  });

  it("takes the product in a stable order, the first list slowest, for tasks and blocks", async () => {
    const text = [
      "blocks:",
      "  cell:",
      "    params: [p, q]",
      "    output: '${{ tasks.t.output }}'",
      "    tasks: { t: { command: 'echo ${{ params.p }}${{ params.q }}' } }",
      "tasks:",
      "  grid:",
      "    command: 'echo ${{ item.p }}${{ item.q }}'",
      "    for_each: { product: { p: [1, 2], q: [a, b, c] } }",
      "  cells:",
      "    block: cell",
      "    for_each: { product: { p: [1, 2], q: [a, b, c] } }",
      "    params: { p: '${{ item.p }}', q: '${{ item.q }}' }",
      "  all: { command: 'echo ${{ tasks.grid.output }} / ${{ tasks.cells.output }}' }",
    ].join("\n");
    const { code, events } = await runYaml("product.yaml", text);
    assert.equal(code, 0);
    const order = ["1a", "1b", "1c", "2a", "2b", "2c"];
    assert.equal(values(events).get("all"), `${order.join(" ")} / ${order.join(" ")}`);
    const created = events.filter((e) => e.type === "created").map((e) => e.name);
    const names = order.map(([p, q]) => `grid[p=${p},q=${q}]`);
    assert.deepEqual(created.filter((n) => n.startsWith("grid[")), names);
    assert.ok(created.includes("cells[p=2,q=c]/t"), created.join(", "));
    const templates = new Set(
      events.filter((e) => e.type === "created" && e.name.startsWith("cells[")).map((e) =>
        e.template
      ),
    );
    assert.deepEqual([...templates].sort(), ["cells", "t"], "counted by template, not by instance");
  });

  it("names iterated tasks name[item] and keeps the template for counting", async () => {
    const text = [
      "tasks:",
      "  gen: { command: 'echo ${{ item }}', for_each: [x, y] }",
      "  rep: { command: 'echo ${{ item }}', repeat: 2 }",
      "  named: { command: 'echo ${{ item }}', for_each: [1], name: 'n-${{ item }}' }",
    ].join("\n");
    const { code, events } = await runYaml("names.yaml", text);
    assert.equal(code, 0);
    const created = events.filter((e) => e.type === "created");
    assert.deepEqual(
      created.map((e) => [e.name, e.template]),
      [["gen[x]", "gen"], ["gen[y]", "gen"], ["rep[1]", "rep"], ["rep[2]", "rep"], [
        "n-1",
        "named",
      ]],
    );
  });

  it("finds an instance in 'asyncflow show' by its name and by the older name-3 form", async () => {
    const runs = join(tmp.dir, "runs");
    const file = tmp.write(
      "show.yaml",
      "tasks:\n  gen: { command: 'echo ${{ item }}', for_each: [7, 8] }\n",
    );
    const r = await runCli(["run", file, "-q", "--runs-dir", runs]);
    assert.equal(r.code, 0, r.stderr);
    for (const ref of ["gen[8]", "gen-8"]) {
      const shown = await runCli(["show", "last", ref, "--json", "--runs-dir", runs]);
      assert.equal(shown.code, 0, shown.stderr);
      assert.equal(JSON.parse(shown.stdout).name, "gen[8]");
    }
    const wrong = await runCli(["show", "last", "gen-9", "--runs-dir", runs]);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /no task 'gen-9' in this run \(did you mean 'gen\[[78]\]'\?\)/);
  });

  it("runs examples/sweep.yaml: a product sweep summed through the block output", async () => {
    const file = join(ROOT, "examples/sweep.yaml");
    const r = await runCli(["run", file, "--json", "-q", "--no-record"]);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.equal(summary.tasks.done, 13); // 4 blocks x 2 tasks, the blocks, the sum
    const total = summary.results.find((x: { name: string }) => x.name === "aggregate");
    assert.equal(total.value, "270");
    assert.deepEqual(summary.params, { scale: 10 });
    const scaled = await runCli(["run", file, "--json", "-q", "--no-record", "--param", "scale=2"]);
    const value =
      JSON.parse(scaled.stdout).results.find((x: { name: string }) => x.name === "aggregate").value;
    assert.equal(value, "54");
  });
});
