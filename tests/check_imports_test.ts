import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { importProblems } from "../scripts/check_imports.ts";

/** A throw-away repository whose src/ holds the given files. */
function repoWith(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "check-imports-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe("scripts/check_imports.ts", () => {
  it("passes on this repository's src/", () => {
    assert.deepEqual(importProblems(fileURLToPath(new URL("..", import.meta.url))), []);
  });

  it("names the file, the line and the import that leaves src/", () => {
    const root = repoWith({
      "src/engine.ts": [
        `import { a } from "./a.ts";`,
        `import { LocalBackend } from "../backends/local/local_backend.ts";`,
        `export { b } from "../cli/b.ts";`,
        `const c = await import("../agent/c.ts");`,
        `import { readFile } from "node:fs/promises";`,
        ` * import { WorkflowEngine } from "@asyncflow/asyncflow";`,
      ].join("\n"),
      "src/host/x.ts": `import yaml from "yaml";\nimport { y } from "../y.ts";\n`,
    });
    try {
      const problems = importProblems(root);
      assert.equal(problems.length, 4, problems.join("\n"));
      assert.match(
        problems[0]!,
        /^src\/engine\.ts:2: imports "\.\.\/backends\/local\/local_backend\.ts"/,
      );
      assert.match(problems[1]!, /^src\/engine\.ts:3: imports "\.\.\/cli\/b\.ts"/);
      assert.match(problems[2]!, /^src\/engine\.ts:4: imports "\.\.\/agent\/c\.ts"/);
      assert.match(problems[3]!, /^src\/host\/x\.ts:1: imports "yaml" \(a package/);
    } finally {
      rmSync(root, { recursive: true });
    }
  });
});
