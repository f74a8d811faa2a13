/**
 * Completes the package.json of a `deno pack` output directory: the npm
 * dependencies from deno.json's `npm:` imports, and the `asyncflow` bin
 * (`cli/bin.js`, written here: a shebang and a call of the `./cli` export's
 * `main`, which Node 20 cannot reach through `import.meta.main`).
 *
 * Usage: deno run --allow-read --allow-write scripts/npm_manifest.ts deno.json <package dir>
 *
 * @module
 */
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";

const BIN = `#!/usr/bin/env node
// The asyncflow command of the npm package, for Node 20+ and Bun.
import process from "node:process";
import { main } from "./main.js";
process.exit(await main(process.argv.slice(2)));
`;

/**
 * The npm packages deno.json's imports name, with their ranges:
 * `"npm:@hono/node-server@^2.1.8"` gives `@hono/node-server: ^2.1.8`, and a
 * folder mapping such as `"npm:/hono@^4.13.19/"` gives `hono: ^4.13.19`.
 */
export function npmDependencies(imports: Record<string, string>): Record<string, string> {
  const deps: Record<string, string> = {};
  for (const target of Object.values(imports)) {
    const match = /^npm:\/?((?:@[^/@]+\/)?[^/@]+)@([^/]+)\/?$/.exec(target);
    if (match === null) {
      if (target.startsWith("npm:")) throw new Error(`cannot read the npm import '${target}'`);
      continue;
    }
    const [, name, range] = match as unknown as [string, string, string];
    if (deps[name] !== undefined && deps[name] !== range) {
      throw new Error(`deno.json imports ${name} at two ranges: ${deps[name]} and ${range}`);
    }
    deps[name] = range;
  }
  return deps;
}

if (import.meta.main) {
  const [denoJson, dir] = process.argv.slice(2);
  if (denoJson === undefined || dir === undefined) {
    throw new Error("usage: npm_manifest.ts <deno.json> <package dir>");
  }
  const config = JSON.parse(readFileSync(denoJson, "utf8")) as { imports?: Record<string, string> };
  const manifestPath = join(dir, "package.json");
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as Record<string, unknown>;
  if (!("./cli" in (manifest.exports as object))) {
    throw new Error(`${manifestPath} has no ./cli export: the bin needs cli/main.js`);
  }
  manifest.dependencies = npmDependencies(config.imports ?? {});
  manifest.bin = { asyncflow: "./cli/bin.js" };
  manifest.engines = { node: ">=20" };
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + "\n");
  writeFileSync(join(dir, "cli", "bin.js"), BIN);
  chmodSync(join(dir, "cli", "bin.js"), 0o755);
}
