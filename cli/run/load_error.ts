/**
 * Why a workflow or task module failed to load, in one line, with the
 * `file:line:col` of a syntax error on every runtime. Each runtime reports
 * the place its own way: Deno in the message (`at file:///w.ts:2:13`), Bun
 * as `position`, Node in the stack of a TypeScript error (`/w.ts:2` and a
 * caret) — and not at all for a JavaScript one, which `node --check` then
 * locates.
 *
 * @module
 */
import { execFile } from "node:child_process";
import { relative } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { runtime } from "../../src/host/runtime.ts";

/** A place in a file. */
interface Place {
  line: number;
  column: number;
}

/**
 * Describes a failed import of the module at `file` in one line.
 *
 * @param error What the import threw.
 * @param file The module's path.
 * @returns `file:line:col: SyntaxError: …` for a syntax error, else the error's first line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeLoadError } from "./load_error.ts";
 * const bun = { name: "BuildMessage", message: "Unexpected ;", position: { line: 2, column: 13 } };
 * assert.equal(await describeLoadError(bun, "w.ts"), "w.ts:2:13: SyntaxError: Unexpected ;");
 * ```
 */
export async function describeLoadError(error: unknown, file: string): Promise<string> {
  const e = (error ?? {}) as {
    name?: string;
    code?: string;
    message?: string;
    stack?: string;
    position?: Partial<Place>;
  };
  const message = String(e.message ?? error);
  if (e.code === "ERR_UNKNOWN_FILE_EXTENSION" && /\.[mc]?ts$/.test(file)) {
    return `Node ${process.version} cannot run TypeScript (${file}): run it with Node 22.18+, ` +
      "Bun or Deno, or write the workflow in JavaScript (.mjs)";
  }
  // Deno: "SyntaxError: Expression expected\n  |\n2 | …\n    at file:///w.ts:2:13"
  const deno = /^SyntaxError: (.*)\n[\s\S]*\bat (file:\/\/\S+?):(\d+):(\d+)\s*$/.exec(message);
  if (deno) return at(fileURLToPath(deno[2]!), +deno[3]!, +deno[4]!, deno[1]!);
  if (e.name === "BuildMessage" && e.position?.line !== undefined) {
    return at(file, e.position.line, e.position.column ?? 0, message);
  }
  if (e.name === "SyntaxError") {
    const place = nodeTypeScriptPlace(e.stack ?? "") ?? await nodeCheck(file);
    if (place) return at(file, place.line, place.column, message);
  }
  return message.split("\n")[0]!;
}

function at(file: string, line: number, column: number, message: string): string {
  const shown = relative(process.cwd(), file) || file;
  return `${shown.startsWith("..") ? file : shown}:${line}:${column}: SyntaxError: ${message}`;
}

/** Node's TypeScript errors start their stack with `path:line`, the line, and a caret under it. */
function nodeTypeScriptPlace(stack: string): Place | undefined {
  const lines = stack.split("\n");
  const head = /:(\d+)$/.exec(lines[0] ?? "");
  const caret = lines.findIndex((l, i) => i > 1 && /^\s*\^/.test(l));
  if (!head || caret < 0) return undefined;
  return { line: +head[1]!, column: lines[caret]!.indexOf("^") + 1 };
}

/** Node does not say where a JavaScript module's syntax error is; `node --check` does. */
function nodeCheck(file: string): Promise<Place | undefined> {
  if (runtime !== "node") return Promise.resolve(undefined);
  return new Promise((resolve) => {
    execFile(process.execPath, ["--check", file], { timeout: 10_000 }, (_error, _out, stderr) => {
      resolve(nodeTypeScriptPlace(String(stderr)));
    });
  });
}
