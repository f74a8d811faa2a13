/**
 * Reads a YAML workflow: parses it with source positions, validates it with
 * the zod schema, checks its references, loads the modules its function
 * tasks name, and reports every mistake as `file:line:col: field: message`.
 * Nothing is run here.
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { didYouMean } from "../did_you_mean.ts";
import { describeLoadError } from "../run/load_error.ts";
import { deprecated } from "../../src/deprecated.ts";
import { checkBlockOutputs } from "./block_output.ts";
import { checkReferences, scopesOf } from "./check_references.ts";
import { deprecations } from "./deprecations.ts";
import { fieldName, type FileIssue, locate, type Path } from "./positions.ts";
import { KNOWN_KEYS, type WorkflowDef, WorkflowFile } from "./schema.ts";

/** A YAML workflow that passed every check, with its function tasks loaded. */
export interface LoadedYaml {
  /** The file it came from. */
  file: string;
  /** The validated definition. */
  def: WorkflowDef;
  /** The functions of function tasks, by {@linkcode functionKey}. */
  functions: Map<string, (...args: never[]) => unknown>;
  /** The URLs of the modules those functions come from (task modules for a worker pool). */
  modules: string[];
}

/**
 * Thrown when a workflow file has mistakes; holds all of them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WorkflowFileError } from "./load.ts";
 * const e = new WorkflowFileError([{ file: "w.yaml", line: 1, col: 1, field: "", message: "empty" }]);
 * assert.ok(e.message.includes("w.yaml:1:1"));
 * ```
 */
export class WorkflowFileError extends Error {
  /** Every mistake, in file order. */
  readonly issues: readonly FileIssue[];

  /**
   * @param issues The mistakes.
   * @param what The kind of file, for the first line. Default: `"workflow file"`.
   */
  constructor(issues: readonly FileIssue[], what = "workflow file") {
    const lines = issues.map((i) =>
      `${i.file}:${i.line}:${i.col}: ${i.field ? `${i.field}: ` : ""}${i.message}`
    );
    super(
      `${issues.length} problem${issues.length === 1 ? "" : "s"} in the ${what}:\n${
        lines.join("\n")
      }`,
    );
    this.name = "WorkflowFileError";
    this.issues = issues;
  }
}

/**
 * The key under which a function task's function is kept.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { functionKey } from "./load.ts";
 * assert.ok(functionKey("file:///w/f.ts", "step") === "file:///w/f.ts#step");
 * ```
 */
export function functionKey(moduleUrl: string, exportName: string): string {
  return `${moduleUrl}#${exportName}`;
}

/**
 * Loads and checks a YAML workflow file.
 *
 * @param file The path of the file.
 * @returns The validated workflow.
 * @throws {WorkflowFileError} Listing every mistake when the file is wrong.
 *
 * @example
 * ```ts ignore
 * import { loadYamlWorkflow } from "./load.ts";
 * const wf = await loadYamlWorkflow("examples/campaigns.yaml");
 * console.log(Object.keys(wf.def.tasks));
 * ```
 */
export async function loadYamlWorkflow(file: string): Promise<LoadedYaml> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const why = (error as { code?: string }).code === "ENOENT" ? "no such file" : String(error);
    throw new WorkflowFileError([{
      file,
      line: 1,
      col: 1,
      field: "",
      message: `cannot read the file: ${why}`,
    }]);
  }
  return await parseYamlWorkflow(text, file);
}

/**
 * Checks YAML text as a workflow file named `file` (for messages and for
 * resolving module paths).
 *
 * @param text The YAML.
 * @param file Its path.
 * @returns The validated workflow.
 * @throws {WorkflowFileError} Listing every mistake.
 */
export async function parseYamlWorkflow(text: string, file: string): Promise<LoadedYaml> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (path: Path, message: string, key?: string): FileIssue => ({
    file,
    ...locate(doc, lines, path, key),
    field: fieldName(key === undefined ? path : [...path, key]),
    message,
  });
  if (doc.errors.length > 0) {
    throw new WorkflowFileError(doc.errors.map((e) => {
      const pos = e.linePos?.[0] ?? lines.linePos(e.pos[0]);
      return {
        file,
        line: pos.line,
        col: pos.col,
        field: "",
        message: `YAML syntax: ${firstLine(e.message)}`,
      };
    }));
  }
  const raw: unknown = doc.toJS();
  const parsed = WorkflowFile.safeParse(raw);
  if (!parsed.success) {
    throw new WorkflowFileError(
      inFileOrder(parsed.error.issues.flatMap((i) => schemaIssues(i, raw, at))),
    );
  }
  const def = parsed.data;
  for (const d of deprecations(def)) {
    const i = at(d.path, d.message);
    deprecated(`${i.file}:${i.line}:${i.col}: ${i.field}: ${i.message}`);
  }
  const issues = [...checkReferences(def), ...checkBlockOutputs(def)].map((i) =>
    at(i.path, i.message, i.key)
  );
  const loaded = await loadFunctions(def, file, at);
  issues.push(...loaded.issues);
  if (issues.length > 0) throw new WorkflowFileError(inFileOrder(issues));
  return { file, def, functions: loaded.functions, modules: loaded.modules };
}

type At = (path: Path, message: string, key?: string) => FileIssue;

/** Turns one zod issue into positioned issues with a reader's message. */
function schemaIssues(issue: z.core.$ZodIssue, raw: unknown, at: At): FileIssue[] {
  const path = issue.path as Path;
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((k) => at(path, `unknown key '${k}'${didYouMean(k, KNOWN_KEYS)}`, k));
  }
  if (issue.code === "invalid_type") {
    const value = valueAt(raw, path);
    if (value === undefined) {
      return [at(path, path.length === 0 ? "the file is empty" : "is required")];
    }
    if (path.length === 0) return [at(path, "the file must be a mapping with a 'tasks' key")];
    return [at(path, `must be ${article(issue.expected)}, got ${describeValue(value)}`)];
  }
  if (issue.code === "too_small" || issue.code === "too_big") {
    const value = valueAt(raw, path);
    const bound = issue.code === "too_small" ? issue.minimum : issue.maximum;
    const word = issue.code === "too_small" ? "at least" : "at most";
    if (typeof value === "number") return [at(path, `must be ${word} ${bound}, got ${value}`)];
    if (issue.code === "too_small" && Number(bound) <= 1) return [at(path, "must not be empty")];
    return [at(path, `must hold ${word} ${bound} item(s)`)];
  }
  return [at(path, issue.message)];
}

function inFileOrder(issues: FileIssue[]): FileIssue[] {
  return issues.sort((a, b) => a.line - b.line || a.col - b.col);
}

function valueAt(raw: unknown, path: Path): unknown {
  let v = raw;
  for (const k of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

function article(type: string): string {
  const noun = type === "record"
    ? "mapping"
    : type === "object"
    ? "mapping"
    : type === "array"
    ? "list"
    : type;
  return /^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`;
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return `the string ${JSON.stringify(value.slice(0, 40))}`;
  return `${typeof value} ${String(value)}`;
}

function firstLine(text: string): string {
  return text.split("\n")[0]!.trim();
}

/** Imports the modules of function tasks and checks that each named export is a function. */
async function loadFunctions(def: WorkflowDef, file: string, at: At) {
  const functions = new Map<string, (...args: never[]) => unknown>();
  const modules = new Map<string, Promise<Record<string, unknown>>>();
  const issues: FileIssue[] = [];
  const base = dirname(resolve(file));
  for (const scope of scopesOf(def).values()) {
    for (const { task, path } of scope.entries) {
      if (task.function === undefined) continue;
      const { module, export: name } = task.function;
      const url = pathToFileURL(resolve(base, module)).href;
      if (!modules.has(url)) {
        const loading = import(url) as Promise<Record<string, unknown>>;
        loading.catch(() => {}); // Reported below, where it is awaited.
        modules.set(url, loading);
      }
      let exports: Record<string, unknown>;
      try {
        exports = await modules.get(url)!;
      } catch (error) {
        const why = await describeLoadError(error, resolve(base, module));
        issues.push(at([...path, "function", "module"], `cannot load module '${module}': ${why}`));
        continue;
      }
      const fn = exports[name];
      if (typeof fn !== "function") {
        const names = Object.keys(exports).filter((k) =>
          typeof exports[k] === "function"
        ).join(", ") || "none";
        issues.push(
          at(
            [...path, "function", "export"],
            `module '${module}' has no function export '${name}' (functions: ${names})`,
          ),
        );
        continue;
      }
      functions.set(functionKey(url, name), fn as (...args: never[]) => unknown);
    }
  }
  return { functions, modules: [...modules.keys()], issues };
}
