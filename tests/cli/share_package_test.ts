import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { SHARED_EXPORTS } from "../../cli/run/share_package.ts";
import { ROOT, runCliProcess, runtime, tempDir } from "./_helpers.ts";

// A workflow that checks where the engine's errors come from.
const WORKFLOW = `import { TimeoutError, type WorkflowEngine } from "@asyncflow/asyncflow";
export default async function (flow: WorkflowEngine) {
  const hang = flow.functionTask(() => new Promise<number>(() => {}), { timeout: 50, name: "hang" });
  const error = await hang().then(() => undefined, (e: unknown) => e);
  console.log("instanceof TimeoutError:", error instanceof TimeoutError);
}
`;

let tmp: ReturnType<typeof tempDir>;
before(() => (tmp = tempDir()));
after(() => tmp.cleanup());

/** A project directory holding the workflow, and optionally a second copy of the package. */
function project(name: string, secondCopy: boolean): string {
  const dir = join(tmp.dir, name);
  mkdirSync(dir);
  writeFileSync(
    join(dir, "package.json"),
    '{ "name": "project", "private": true, "type": "module" }',
  );
  writeFileSync(join(dir, "workflow.ts"), WORKFLOW);
  if (secondCopy) {
    // Its TimeoutError is another class: loaded, it makes the instanceof false.
    const copy = join(dir, "node_modules", "@asyncflow", "asyncflow");
    mkdirSync(copy, { recursive: true });
    writeFileSync(
      join(copy, "package.json"),
      '{ "name": "@asyncflow/asyncflow", "version": "0.0.1", "type": "module", "exports": { ".": "./mod.js" } }',
    );
    writeFileSync(join(copy, "mod.js"), "export class TimeoutError extends Error {}\n");
  }
  return dir;
}

describe("one copy of the package for the CLI and the workflows it runs", () => {
  it("shares every subpath export of deno.json but the worker script", () => {
    const { exports } = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8")) as {
      exports: Record<string, string>;
    };
    const shared = Object.fromEntries(SHARED_EXPORTS.map((e) => [e.subpath, `./${e.file}.ts`]));
    const { "./worker_pool/worker": worker, ...rest } = exports;
    assert.equal(worker, "./backends/worker_pool/worker.ts");
    assert.deepEqual(shared, rest);
  });

  it("gives a workflow the CLI's copy when its project has a second copy installed", async () => {
    const r = await runCliProcess(["run", "workflow.ts", "-q"], { cwd: project("two", true) });
    assert.equal(r.code, 1, r.stderr); // the task timed out, as it should
    assert.match(r.stdout, /^instanceof TimeoutError: true$/m);
  });

  it("gives a workflow the CLI's copy when its project has none (Bun cannot: it says so)", async () => {
    const r = await runCliProcess(["run", "workflow.ts", "-q"], { cwd: project("none", false) });
    if (runtime() === "bun") {
      assert.equal(r.code, 2);
      assert.match(r.stderr, /Cannot find package '@asyncflow\/asyncflow'/);
      assert.match(r.stderr, /install the package beside the workflow/);
      return;
    }
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^instanceof TimeoutError: true$/m);
  });
});
