import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { FIXTURES, runCli, tempDir } from "./_helpers.ts";

let tmp: ReturnType<typeof tempDir>;
let workflow: string;
before(() => {
  tmp = tempDir();
  workflow = tmp.write(
    "params.yaml",
    [
      "params: { n: 2, name: base, seeds: [1] }",
      "tasks:",
      `  show: { function: { module: '${join(FIXTURES, "tasks.ts")}', export: identity },`,
      "          args: [{ n: '${{ params.n }}', name: '${{ params.name }}', seeds: '${{ params.seeds }}' }] }",
    ].join("\n"),
  );
});
after(() => tmp.cleanup());

/** Runs the workflow with `flags`; returns the exit code, the shown parameters and stderr. */
async function run(...flags: string[]) {
  const r = await runCli(["run", workflow, "--json", "-q", "--no-record", ...flags]);
  const summary = r.stdout.trim() === "" ? undefined : JSON.parse(r.stdout);
  const shown = summary?.results.find((x: { name: string }) => x.name === "show")?.value;
  return { code: r.code, shown: shown && JSON.parse(shown), summary, stderr: r.stderr };
}

describe("YAML workflow params from the command line and a params file", () => {
  it("uses the defaults when nothing is given", async () => {
    const r = await run();
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.shown, { n: 2, name: "base", seeds: [1] });
  });

  it("--param wins over the params file, which wins over the default", async () => {
    const file = tmp.write("p.yaml", "n: 3\nname: from-file\n");
    const r = await run("--params", file, "--param", "n=4", "--param", "seeds=[5, 6]");
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.shown, { n: 4, name: "from-file", seeds: [5, 6] });
    assert.deepEqual(r.summary.params, r.shown);
  });

  it("reads a JSON params file, and values as YAML scalars", async () => {
    const file = tmp.write("p.json", '{ "name": "json" }');
    const r = await run("--params", file, "--param", 'n="7"', "--param", "seeds=a # b");
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.shown, { n: "7", name: "json", seeds: "a # b" });
  });

  it("shows the resolved values and their sources in a dry run", async () => {
    const file = tmp.write("dry.yaml", "name: dry\n");
    const r = await runCli([
      "run",
      workflow,
      "--dry-run",
      "-q",
      "--params",
      file,
      "--param",
      "n=9",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(
      r.stdout.startsWith(
        [
          "# param n = 9 (--param)",
          '# param name = "dry" (params file)',
          "# param seeds = [1] (default)",
          "",
        ].join("\n"),
      ),
      r.stdout,
    );
  });

  it("refuses an unknown --param with a suggestion, and a flag without '='", async () => {
    const r = await run("--param", "nn=3");
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /--param nn=3: the workflow has no parameter 'nn' \(did you mean 'n'\?\) \(params: n, name, seeds\)/,
    );
    const bare = await run("--param", "n");
    assert.equal(bare.code, 2);
    assert.match(bare.stderr, /'--param' takes name=value \(such as n=4\), got 'n'/);
  });

  it("refuses a bad params file with file:line:col, and runs nothing", async () => {
    const unknown = tmp.write("unknown.yaml", "n: 1\nnmae: x\n");
    let r = await run("--params", unknown);
    assert.equal(r.code, 2);
    assert.ok(
      r.stderr.includes(
        `${unknown}:2:1: nmae: the workflow has no parameter 'nmae' (did you mean 'name'?)`,
      ),
      r.stderr,
    );
    assert.equal(r.summary, undefined, "nothing ran");
    const list = tmp.write("list.json", "[1, 2]\n");
    r = await run("--params", list);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /list\.json:1:1: a params file must be a mapping of parameter names/);
    const syntax = tmp.write("syntax.yaml", "n: [1\n");
    r = await run("--params", syntax);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /problems? in the params file:\n.*syntax\.yaml:\d+:\d+: YAML syntax: /);
    r = await run("--params", join(tmp.dir, "missing.yaml"));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot read the params file '.*missing\.yaml': no such file/);
  });

  it("refuses --param for a workflow that declares no params, and for a module", async () => {
    const none = tmp.write("none.yaml", "tasks:\n  a: { command: 'true' }\n");
    let r = await runCli(["run", none, "-q", "--no-record", "--param", "n=1"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no parameter 'n': it declares none \(add 'params: \{ n: <default> \}'/);
    r = await runCli(["run", join(FIXTURES, "workflow.ts"), "-q", "--no-record", "--param", "n=1"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /'--param' and '--params' set a YAML workflow's params/);
  });

  it("sizes a sweep from parameters: for_each, zipped lists and repeat", async () => {
    const file = tmp.write(
      "iterate.yaml",
      [
        "params: { seeds: [1, 2], sizes: [10, 20], n: 2 }",
        "tasks:",
        "  a: { command: 'echo ${{ item }}', for_each: '${{ params.seeds }}' }",
        "  z:",
        "    command: 'echo ${{ item.s }}-${{ item.z }}'",
        "    for_each: { zip: { s: '${{ params.seeds }}', z: '${{ params.sizes }}' } }",
        "  r: { command: 'echo ${{ item }}', repeat: '${{ params.n }}' }",
        "  all: { command: 'echo ${{ tasks.a.output }} / ${{ tasks.z.output }} / ${{ tasks.r.output }}' }",
        `  shape: { function: { module: '${join(FIXTURES, "tasks.ts")}', export: identity },`,
        "           args: ['${{ tasks.r.output }}'] }",
      ].join("\n"),
    );
    const one = await runCli(["run", file, "--json", "-q", "--no-record", "--param", "n=1"]);
    const shape = JSON.parse(one.stdout).results.find((x: { name: string }) => x.name === "shape");
    assert.equal(shape.value, '["1"]', "a count from a parameter gives a list, even of one");
    const all = async (...flags: string[]) => {
      const r = await runCli(["run", file, "--json", "-q", "--no-record", ...flags]);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout).results.find((x: { name: string }) => x.name === "all").value;
    };
    assert.equal(await all(), "1 2 / 1-10 2-20 / 1 2");
    assert.equal(
      await all("--param", "seeds=[5, 6, 7]", "--param", "sizes=[1, 2, 3]", "--param", "n=3"),
      "5 6 7 / 5-1 6-2 7-3 / 1 2 3",
    );
    assert.equal(
      await all("--param", "seeds=[4]", "--param", "sizes=[9]", "--param", "n=1"),
      "4 / 4-9 / 1",
    );
  });

  it("asyncflow graph draws the graph the parameters make, and names itself in their errors", async () => {
    const file = tmp.write(
      "graph_params.yaml",
      "params: { seeds: [1, 2] }\ntasks:\n  a: { command: 'echo ${{ item }}', for_each: '${{ params.seeds }}' }\n",
    );
    const nodes = async (...flags: string[]) => {
      const r = await runCli(["graph", file, "--collapse", ...flags]);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.match(/a ×(\d+)/)?.[1];
    };
    assert.equal(await nodes(), "2");
    assert.equal(await nodes("--param", "seeds=[1, 2, 3]"), "3");
    const params = tmp.write("graph_params.json", '{ "seeds": [4, 5, 6, 7] }');
    assert.equal(await nodes("--params", params), "4");
    const bad = await runCli(["graph", file, "--param", "points=[1]"]);
    assert.equal(bad.code, 2);
    assert.match(
      bad.stderr,
      /^asyncflow graph: --param points=\[1\]: the workflow has no parameter 'points'/,
    );
  });

  it("refuses parameter values that cannot be iterated over, before anything runs", async () => {
    const file = tmp.write(
      "iterate_bad.yaml",
      [
        "params: { seeds: [1, 2], sizes: [10, 20], n: 2 }",
        "tasks:",
        "  a: { command: 'echo ${{ item }}', for_each: '${{ params.seeds }}' }",
        "  z:",
        "    command: 'echo ${{ item.s }}'",
        "    for_each: { zip: { s: '${{ params.seeds }}', z: '${{ params.sizes }}' } }",
        "  r: { command: 'echo ${{ item }}', repeat: '${{ params.n }}' }",
      ].join("\n"),
    );
    const r = await runCli([
      "run",
      file,
      "-q",
      "--no-record",
      "--param",
      "seeds=3",
      "--param",
      "n=x",
    ]);
    assert.equal(r.code, 2);
    assert.deepEqual(r.stderr.trim().split("\n"), [
      "asyncflow run: tasks.a.for_each: ${{ params.seeds }} must be a non-empty list, got 3",
      "tasks.z.for_each.zip.s: ${{ params.seeds }} must be a non-empty list, got 3",
      'tasks.r.repeat: ${{ params.n }} must be a whole number of at least 1, got "x"',
    ]);
    const zip = await runCli(["run", file, "-q", "--no-record", "--param", "sizes=[1]"]);
    assert.equal(zip.code, 2);
    assert.match(
      zip.stderr,
      /tasks\.z\.for_each\.zip\.z: zipped lists must be as long as each other: 's' has 2 item\(s\), 'z' has 1/,
    );
  });

  it("fails the block instance whose parameter cannot be iterated over", async () => {
    const file = tmp.write(
      "block_iterate.yaml",
      [
        "blocks:",
        "  b:",
        "    params: [k]",
        "    tasks: { t: { command: 'echo ${{ item }}', repeat: '${{ params.k }}' } }",
        "tasks:",
        "  good: { block: b, params: { k: 2 } }",
        "  bad: { block: b, params: { k: zero } }",
      ].join("\n"),
    );
    const r = await runCli(["run", file, "--json", "-q", "--no-record"]);
    assert.equal(r.code, 1);
    const summary = JSON.parse(r.stdout);
    assert.equal(summary.tasks.done, 3); // good and its two instances
    assert.deepEqual(
      summary.failures.map((f: { name: string; error: { message: string } }) => [
        f.name,
        f.error.message,
      ]),
      [[
        "bad",
        'blocks.b.tasks.t.repeat: ${{ params.k }} must be a whole number of at least 1, got "zero"',
      ]],
    );
  });
});
