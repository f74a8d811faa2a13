/**
 * Every entry a browser or workerd loads bundles for the browser: no `node:` module is imported
 * on the path of the core, the worker pool (and its worker script) or the remote client.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { bundle } from "./_bundle.ts";

const dir = mkdtempSync(`${tmpdir()}/asyncflow-bundle-`);
after(() => rmSync(dir, { recursive: true, force: true }));

const ENTRIES: Record<string, string> = {
  core: "mod.ts",
  pool: "backends/worker_pool/mod.ts",
  worker: "backends/worker_pool/worker.ts",
  remote: "backends/remote/mod.ts",
};

describe("esbuild --platform=browser", () => {
  for (const [name, entry] of Object.entries(ENTRIES)) {
    it(`bundles ${entry} with no node: import`, async () => {
      // Minified, so that the doc examples' imports in comments are gone and only code is left.
      const result = await bundle({ [name]: entry }, dir, { minify: true });
      assert.deepEqual(result.errors, []);
      const code = readFileSync(`${dir}/${name}.js`, "utf8");
      assert.doesNotMatch(code, /(from\s*|import\s*\(\s*|require\s*\(\s*)["']node:/);
      assert.ok(code.length > 1000, "the bundle holds the code");
    });
  }

  it("fails, naming the module, when a node: import is on the path (the check can fail)", async () => {
    await assert.rejects(
      bundle({ agent: "agent/token.ts" }, dir),
      /Could not resolve "node:/,
    );
  });
});
