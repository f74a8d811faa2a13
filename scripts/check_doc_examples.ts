/**
 * Fails when a JSDoc `@example` cannot fail its doc test: a code block with no assertion from
 * `node:assert` (`assert(…)`, `assert.equal(…)`, …), or one that uses `console.assert`, which only
 * prints. A block fenced as ```ts ignore is exempt (it is not run either). Every `.ts` file under
 * the published folders is read, tests excepted.
 *
 * Usage: deno run --allow-read scripts/check_doc_examples.ts [file or folder ...]
 * (default: every published folder)
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/** One code block of an `@example`, with where it starts. */
export interface ExampleBlock {
  file: string;
  line: number;
  info: string;
  code: string;
}

/** Every fenced code block inside a JSDoc comment of `source`. */
export function exampleBlocks(file: string, source: string): ExampleBlock[] {
  const blocks: ExampleBlock[] = [];
  const lines = source.split("\n");
  let inComment = false;
  let fence: { line: number; info: string; code: string[] } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    if (!inComment) {
      if (raw.trimStart().startsWith("/**")) inComment = !raw.includes("*/");
      continue;
    }
    if (raw.includes("*/")) {
      inComment = false;
      fence = undefined;
      continue;
    }
    const text = raw.replace(/^\s*\* ?/, "");
    const open = /^```(\S*)\s*(.*)$/.exec(text.trim());
    if (!fence && open) {
      fence = { line: i + 1, info: `${open[1]} ${open[2]}`.trim(), code: [] };
    } else if (fence && text.trim() === "```") {
      blocks.push({ file, line: fence.line, info: fence.info, code: fence.code.join("\n") });
      fence = undefined;
    } else if (fence) {
      fence.code.push(text);
    }
  }
  return blocks;
}

/** Why `block` cannot fail its doc test, or undefined when it can. */
export function problemOf(block: ExampleBlock): string | undefined {
  const [lang = "", ...flags] = block.info.split(/\s+/);
  if (!/^(ts|tsx|js|javascript|typescript)$/.test(lang)) return undefined;
  if (flags.includes("ignore")) return undefined;
  if (/console\.assert\s*\(/.test(block.code)) {
    return "uses console.assert, which only prints: assert with node:assert/strict";
  }
  const importsAssert = /from\s+["']node:assert(\/strict)?["']/.test(block.code);
  const asserts = /\bassert(\.\w+)?\s*\(/.test(block.code);
  if (!importsAssert || !asserts) {
    return 'asserts nothing: import assert from "node:assert/strict" and assert what it shows, ' +
      "or fence it as ```ts ignore if it cannot run here";
  }
  return undefined;
}

function tsFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return path.endsWith(".ts") ? [path] : [];
  return readdirSync(path).sort().flatMap((name) =>
    name === "node_modules" || name.endsWith("_test.ts") ? [] : tsFiles(join(path, name))
  );
}

if (import.meta.main) {
  const args = typeof Deno !== "undefined" ? Deno.args : process.argv.slice(2);
  const roots = args.length > 0 ? args : [
    "mod.ts",
    "src",
    "backends",
    "agent",
    "cli",
    "graph",
    "report",
    "otel",
    "dashboard",
    "protocol",
    "jsonl",
  ];
  let count = 0;
  const problems: string[] = [];
  for (const file of roots.flatMap(tsFiles)) {
    for (const block of exampleBlocks(file, readFileSync(file, "utf8"))) {
      count++;
      const problem = problemOf(block);
      if (problem) problems.push(`${block.file}:${block.line}: example ${problem}`);
    }
  }
  for (const p of problems) console.error(p);
  console.log(`check_doc_examples: ${count} examples, ${problems.length} that cannot fail`);
  if (problems.length > 0) {
    if (typeof Deno !== "undefined") Deno.exit(1);
    process.exit(1);
  }
}
