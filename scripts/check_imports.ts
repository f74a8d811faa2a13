/**
 * Keeps the core's imports one way: a file under `src/` may import other files under `src/` and
 * the runtime's `node:` built-ins (behind `src/host/`), nothing else — no plugin, no CLI, no npm
 * package. Prints each offending file and import and exits 1; exits 0 when the core is clean.
 *
 * Run: `deno run -A scripts/check_imports.ts [root]` (root: the repository, default the current
 * directory).
 *
 * @module
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import process from "node:process";

/** Static imports and re-exports (`import … from`, `export … from`, `import "…"`) and `import("…")`. */
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*)["']([^"']+)["']/g;

/**
 * Lists every import under `{root}/src` that leaves `src/`.
 *
 * @param root The repository's directory.
 * @returns One line per offending import: `file:line: imports "specifier" (why)`.
 */
export function importProblems(root: string): string[] {
  const core = resolve(root, "src");
  const problems: string[] = [];
  for (const file of tsFiles(core)) {
    const lines = readFileSync(file, "utf8").split("\n");
    lines.forEach((text, index) => {
      if (isComment(text)) return; // doc examples import the public specifiers
      for (const match of text.matchAll(IMPORT)) {
        const specifier = match[1]!;
        const why = problemOf(specifier, file, core);
        if (why === undefined) continue;
        problems.push(`${relative(root, file)}:${index + 1}: imports "${specifier}" (${why})`);
      }
    });
  }
  return problems;
}

function problemOf(specifier: string, file: string, core: string): string | undefined {
  if (specifier.startsWith("node:")) return undefined;
  if (!specifier.startsWith(".")) {
    return "a package: the core uses web standards and node: built-ins only";
  }
  const target = resolve(dirname(file), specifier);
  if (target === core || target.startsWith(core + sep)) return undefined;
  return `${relative(core, target)} is outside src/: move it into src/ or invert the dependency`;
}

function isComment(line: string): boolean {
  const start = line.trimStart();
  return start.startsWith("*") || start.startsWith("/*") || start.startsWith("//");
}

function tsFiles(dir: string): string[] {
  const entries = readdirSync(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)); // stable report order
  return entries.flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

if (import.meta.main) {
  const problems = importProblems(process.argv[2] ?? ".");
  if (problems.length > 0) {
    console.error(`src/ must not import from outside src/:\n${problems.join("\n")}`);
    process.exit(1);
  }
  console.log("imports: src/ imports nothing from outside src/");
}
