/**
 * `deno doc --lint` over every export in deno.json, failing on every diagnostic but one kind:
 * `private-type-ref` to a type of an npm package listed below. deno doc counts every npm type as
 * private (denoland/deno#27364; the fix of denoland/deno#34339 skips only non-file modules, and
 * ours sit in node_modules), although these are the public API of their own package.
 *
 * Usage: deno run -A scripts/check_doc_lint.ts
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** npm types our public API takes on purpose, by the package that exports them. */
const NPM_TYPES: Record<string, string> = {
  Tracer: "@opentelemetry/api",
  Meter: "@opentelemetry/api",
  Context: "@opentelemetry/api",
};

const entries = Object.values(
  (JSON.parse(readFileSync("deno.json", "utf8")) as { exports: Record<string, string> }).exports,
);
const run = spawnSync("deno", ["doc", "--lint", ...entries], {
  encoding: "utf8",
  env: { ...process.env, NO_COLOR: "1" },
  maxBuffer: 64 * 1024 * 1024,
});
const output = `${run.stdout}\n${run.stderr}`;
const blocks = output.split(/^(?=error\[)/m).filter((b) => b.startsWith("error["));
const kept = blocks.filter((block) => {
  const m = /^error\[private-type-ref\]: .* references private type '([^']+)'/.exec(block);
  return !(m && m[1]! in NPM_TYPES);
});
for (const block of kept) console.error(block.trimEnd().split("\n\n  info:")[0]);
console.log(
  `check_doc_lint: ${entries.length} exports, ${blocks.length - kept.length} npm type references ` +
    `allowed, ${kept.length} errors`,
);
if (kept.length > 0 || (run.status !== 0 && blocks.length === 0)) {
  if (blocks.length === 0) console.error(output);
  process.exit(1);
}
