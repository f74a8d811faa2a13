import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { runCli, tempDir } from "./_helpers.ts";

let tmp: ReturnType<typeof tempDir>;
before(() => (tmp = tempDir()));
after(() => tmp.cleanup());

const BROKEN = "export default async function (flow) {\n  const x = ;\n}\n";

describe("a module that does not parse", () => {
  for (const name of ["broken.ts", "broken.mjs"]) {
    it(`is reported as file:line:col, on one line (${name} as the workflow)`, async () => {
      const r = await runCli(["run", tmp.write(name, BROKEN)]);
      assert.equal(r.code, 2);
      const [first, ...rest] = r.stderr.trimEnd().split("\n");
      assert.match(
        first!,
        new RegExp(
          `^asyncflow run: cannot load workflow module '.*${name}': .*${name}:2:13: SyntaxError: \\S`,
        ),
      );
      assert.deepEqual(rest, ["Run 'asyncflow run --help' for usage."]);
    });
  }

  it("is reported as file:line:col when it is a YAML file's task module", async () => {
    tmp.write("tasks.ts", BROKEN);
    const yaml = tmp.write(
      "flow.yaml",
      "tasks:\n  a:\n    function: { module: ./tasks.ts, export: a }\n",
    );
    const r = await runCli(["run", yaml]);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /flow\.yaml:3:\d+: .*cannot load module '\.\/tasks\.ts': .*tasks\.ts:2:13: SyntaxError: /,
    );
  });

  it("is reported as file:line:col when --module names it", async () => {
    const workflow = tmp.write("ok.mjs", "export default async function () {}\n");
    const r = await runCli([
      "run",
      workflow,
      "--backend",
      "workers",
      "--module",
      tmp.write("bad_tasks.mjs", BROKEN),
    ]);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /^asyncflow run: cannot load task module '.*bad_tasks\.mjs': .*bad_tasks\.mjs:2:13: SyntaxError: /,
    );
  });
});

describe("a trace that cannot be written", () => {
  it("is refused in one line, with exit code 2, before anything runs", async () => {
    const r = await runCli(["run", "examples/campaigns.yaml", "--trace", "/nonexistent/run.jsonl"]);
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      "asyncflow run: cannot write the trace to '/nonexistent/run.jsonl': its directory does not exist (ENOENT)\n",
    );
  });

  it("is the same one line for graph -o and report -o", async () => {
    const graph = await runCli(["graph", "examples/campaigns.yaml", "-o", "/nonexistent/g.mmd"]);
    assert.equal(graph.code, 2);
    assert.equal(
      graph.stderr,
      "asyncflow graph: cannot write '/nonexistent/g.mmd': its directory does not exist (ENOENT)\n",
    );
    const trace = tmp.write("t.jsonl", "");
    const report = await runCli(["report", trace, "-o", "/nonexistent/r.html"]);
    assert.equal(report.code, 2, report.stderr);
    assert.equal(
      report.stderr,
      "asyncflow report: cannot write '/nonexistent/r.html': its directory does not exist (ENOENT)\n",
    );
  });

  it("that fails during the run (a full disk: /dev/full) leaves the run going, and exit code 1", async () => {
    const r = await runCli(["run", "examples/campaigns.yaml", "--trace", "/dev/full", "--json"]);
    assert.equal(r.code, 1);
    const summary = JSON.parse(r.stdout);
    assert.equal(summary.tasks.done, 15, "every task ran");
    assert.match(summary.traceError, /ENOSPC/);
  });
});
