import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { runCliProcess, runtime, tempDir } from "./_helpers.ts";

let tmp: ReturnType<typeof tempDir>;
before(() => (tmp = tempDir()));
after(() => tmp.cleanup());

describe("asyncflow run --json", () => {
  it("keeps stdout for the summary: what the workflow prints goes to stderr", async () => {
    tmp.write(
      "noisy_tasks.mjs",
      "export function noisy(n) {\n  console.log(`task says ${n}`);\n  return n;\n}\n",
    );
    const workflow = tmp.write(
      "noisy.mjs",
      [
        'import process from "node:process";',
        'import { noisy } from "./noisy_tasks.mjs";',
        "export default async function (flow) {",
        '  console.log("workflow says hi");',
        '  console.info("workflow informs");',
        '  process.stdout.write("workflow writes\\n");',
        "  await flow.functionTask(noisy)(1);",
        "}",
        "",
      ].join("\n"),
    );
    const r = await runCliProcess(["run", workflow, "--json", "-q"], { cwd: tmp.dir });
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout); // one JSON document, nothing else
    assert.equal(summary.tasks.done, 1);
    for (const line of ["workflow says hi", "workflow informs", "workflow writes", "task says 1"]) {
      assert.match(r.stderr, new RegExp(`^${line}$`, "m"));
    }
  });

  it(
    "on Node, also for what the pool's workers print",
    { skip: runtime() !== "node" },
    async () => {
      const workflow = tmp.write(
        "pool_noisy.mjs",
        'import { noisy } from "./noisy_tasks.mjs";\n' +
          "export default async (flow) => { await flow.functionTask(noisy)(2); };\n",
      );
      const r = await runCliProcess(
        [
          "run",
          workflow,
          "--json",
          "-q",
          "--backend",
          "workers",
          "--workers",
          "1",
          "--module",
          "noisy_tasks.mjs",
        ],
        { cwd: tmp.dir },
      );
      assert.equal(r.code, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).tasks.done, 1);
      assert.match(r.stderr, /^task says 2$/m);
    },
  );
});
