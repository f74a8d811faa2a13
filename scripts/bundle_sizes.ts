/**
 * The sizes of the browser bundles of the core, the worker pool (with its worker script) and the
 * remote client: esbuild, `--platform=browser`, minified, then gzipped (level 9). Each entry is
 * bundled alone, as an app importing only it would ship it; the pool's and the remote client's
 * include the parts of the core they use. Function names are kept (`keepNames`), as task names need.
 *
 *     node scripts/bundle_sizes.ts
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { gzipSync } from "node:zlib";
import { bundle } from "../tests/browser/_bundle.ts";

const ENTRIES: [string, string][] = [
  ["core (mod.ts)", "mod.ts"],
  ["worker pool (worker_pool/mod.ts)", "backends/worker_pool/mod.ts"],
  ["pool worker script (worker_pool/worker.ts)", "backends/worker_pool/worker.ts"],
  ["remote client (remote/mod.ts)", "backends/remote/mod.ts"],
];

const dir = mkdtempSync(`${tmpdir()}/asyncflow-sizes-`);
const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
try {
  console.log("| bundle | minified | gzipped |\n| --- | --- | --- |");
  for (const [i, [label, entry]] of ENTRIES.entries()) {
    await bundle({ [`b${i}`]: entry }, dir, { minify: true });
    const code = readFileSync(`${dir}/b${i}.js`);
    console.log(`| ${label} | ${kb(code.length)} | ${kb(gzipSync(code, { level: 9 }).length)} |`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
