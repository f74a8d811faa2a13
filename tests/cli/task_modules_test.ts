import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ROOT, runCli, runCliProcess } from "./_helpers.ts";

const WORKFLOW = join(ROOT, "examples", "estimate_pi.ts");
const TASKS = join(ROOT, "examples", "worker_pool_tasks.ts");
const UNADDRESSABLE = /is not exported by any of its task modules/g;

describe("asyncflow run --module", () => {
  it("lets the worker pool run functions of a module the workflow imports", async () => {
    const r = await runCliProcess(
      ["run", WORKFLOW, "--backend", "workers", "--workers", "2", "--module", TASKS, "-q"],
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^π ≈ 3\.14\d\d from 16 × 1,000,000 darts$/m);
  });

  it("without it, says once that the function cannot reach a worker, and how to fix it", async () => {
    const r = await runCliProcess(["run", WORKFLOW, "--backend", "workers", "--workers", "2"]);
    assert.equal(r.code, 1);
    // 16 tasks fail with the same error: one log line and one summary line carry it, not 32.
    assert.equal(r.stderr.match(UNADDRESSABLE)?.length, 2, r.stderr);
    assert.equal(r.stderr.match(/the same error as task\.000001/g)?.length, 15);
    assert.match(r.stderr, /failed: monteCarloPi \(task\.000001\), .* and 13 more: TypeError:/);
    assert.match(r.stderr, /hint: name the module that exports the function with --module <file>/);
    assert.match(r.stderr, /the workflow threw the error of monteCarloPi \(task\.000001\)/);
  });

  it("is refused where it means nothing, or names a file that is not there", async () => {
    const local = await runCli(["run", WORKFLOW, "--module", TASKS]);
    assert.equal(local.code, 2);
    assert.match(
      local.stderr,
      /^asyncflow run: '--module' names task modules for '--backend workers'/,
    );
    const missing = await runCli(["run", WORKFLOW, "--backend", "workers", "--module", "nope.ts"]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^asyncflow run: task module 'nope\.ts' does not exist/);
  });
});

describe("asyncflow run --workers", () => {
  it("is refused without --backend workers", async () => {
    const r = await runCli(["run", WORKFLOW, "--workers", "2"]);
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      "asyncflow run: '--workers' sizes the worker pool: add '--backend workers' (the backend is 'local')\n" +
        "Run 'asyncflow run --help' for usage.\n",
    );
  });
});
