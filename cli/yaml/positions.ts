/**
 * Maps a path inside a parsed YAML document (`["tasks", "a2", "after", 0]`)
 * back to the line and column of the text it came from, so every mistake
 * can be reported as `file:line:col: field: message`.
 *
 * @module
 */
import { type Document, isMap, isPair, isScalar, isSeq, type LineCounter, type Node } from "yaml";

/** One mistake in a workflow file. */
export interface FileIssue {
  /** The file. */
  file: string;
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  col: number;
  /** The field, as a dotted path (`tasks.a2.after[0]`); empty for the whole file. */
  field: string;
  /** What is wrong. */
  message: string;
}

/** A path into the document: map keys and sequence indexes. */
export type Path = readonly PropertyKey[];

/**
 * Renders a path the way a reader would write it: `tasks.a2.after[0]`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fieldName } from "./positions.ts";
 * assert.equal(fieldName(["tasks", "a2", "after", 0]), "tasks.a2.after[0]");
 * ```
 */
export function fieldName(path: Path): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
}

/**
 * Finds the line and column of `path` in `doc`. With `key`, points at that
 * key of the map at `path` (an unknown key); when part of the path does not
 * exist (a missing field), points at the deepest part that does.
 */
export function locate(
  doc: Document,
  lines: LineCounter,
  path: Path,
  key?: string,
): { line: number; col: number } {
  let node: unknown = doc.contents;
  let offset = rangeStart(node) ?? 0;
  for (const step of path) {
    const next = child(node, step);
    if (next === undefined) break;
    node = next.value;
    offset = rangeStart(next.key) ?? rangeStart(next.value) ?? offset;
    if (rangeStart(node) !== undefined && !isMap(node) && !isSeq(node)) offset = rangeStart(node)!;
  }
  if (key !== undefined) {
    const pair = child(node, key);
    if (pair !== undefined) offset = rangeStart(pair.key) ?? offset;
  }
  return lines.linePos(offset);
}

/** The key node and value node of `step` inside a map or sequence node. */
function child(node: unknown, step: PropertyKey): { key: unknown; value: unknown } | undefined {
  if (isMap(node)) {
    const pair = node.items.find((p) => isPair(p) && keyText(p.key) === String(step));
    return pair ? { key: pair.key, value: pair.value } : undefined;
  }
  if (isSeq(node) && typeof step === "number") {
    const item = node.items[step];
    return item === undefined ? undefined : { key: undefined, value: item };
  }
  return undefined;
}

function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

function rangeStart(node: unknown): number | undefined {
  return (node as Node | null)?.range?.[0];
}

/**
 * Formats an issue as `file:line:col: field: message`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatIssue } from "./positions.ts";
 * const text = formatIssue({ file: "w.yaml", line: 3, col: 5, field: "tasks.a", message: "bad" });
 * assert.equal(text, "w.yaml:3:5: tasks.a: bad");
 * ```
 */
export function formatIssue(issue: FileIssue): string {
  const field = issue.field === "" ? "" : `${issue.field}: `;
  return `${issue.file}:${issue.line}:${issue.col}: ${field}${issue.message}`;
}
