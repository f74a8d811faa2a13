/**
 * The `${{ … }}` expressions of YAML workflows:
 * `${{ tasks.<id>.output }}` (another task's result: a dependency),
 * `${{ params.<name> }}` (a block parameter) and `${{ item }}` /
 * `${{ item.<key> }}` (the current element of `for_each` or `repeat`).
 *
 * @module
 */

/** One parsed expression. */
export type Expression =
  | { kind: "output"; task: string }
  | { kind: "param"; name: string }
  | { kind: "item"; key?: string }
  | { kind: "invalid"; text: string };

const PATTERN = /\$\{\{\s*(.*?)\s*\}\}/g;

/**
 * Parses one expression body (the text between `${{` and `}}`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseExpression } from "./expressions.ts";
 * assert.equal(parseExpression("tasks.prep.output").kind, "output");
 * ```
 */
export function parseExpression(text: string): Expression {
  let m = /^tasks\.([A-Za-z_][\w-]*)\.output$/.exec(text);
  if (m) return { kind: "output", task: m[1]! };
  m = /^params\.([A-Za-z_][\w-]*)$/.exec(text);
  if (m) return { kind: "param", name: m[1]! };
  m = /^item(?:\.([A-Za-z_][\w-]*))?$/.exec(text);
  if (m) return m[1] === undefined ? { kind: "item" } : { kind: "item", key: m[1] };
  return { kind: "invalid", text };
}

/**
 * Every expression in a string, in order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { expressionsIn } from "./expressions.ts";
 * assert.equal(expressionsIn("echo ${{ item }} ${{ params.x }}").length, 2);
 * ```
 */
export function expressionsIn(text: string): Expression[] {
  return [...text.matchAll(PATTERN)].map((m) => parseExpression(m[1]!));
}

/**
 * The expression when `text` is exactly one expression and nothing else.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { wholeExpression } from "./expressions.ts";
 * assert.equal(wholeExpression("${{ tasks.a.output }}")?.kind, "output");
 * assert.equal(wholeExpression("x ${{ tasks.a.output }}"), undefined);
 * ```
 */
export function wholeExpression(text: string): Expression | undefined {
  const m = /^\$\{\{\s*(.*?)\s*\}\}$/.exec(text);
  return m && !m[1]!.includes("}}") ? parseExpression(m[1]!) : undefined;
}

/**
 * Replaces every expression in `text` by what `value` returns for it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { substitute } from "./expressions.ts";
 * const out = substitute("run ${{ item }}", (e) => (e.kind === "item" ? "7" : undefined));
 * assert.equal(out, "run 7");
 * ```
 */
export function substitute(text: string, value: (e: Expression) => string | undefined): string {
  return text.replace(PATTERN, (whole, body: string) => value(parseExpression(body)) ?? whole);
}

/**
 * Renders a value for a command line: a command's stdout without its final
 * newlines (as shell `$(…)` does), a list as space-separated words, anything
 * else as JSON.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { asText } from "./expressions.ts";
 * assert.ok(asText("42\n") === "42" && asText([1, "a"]) === "1 a");
 * ```
 */
export function asText(value: unknown): string {
  if (typeof value === "string") return value.replace(/\n+$/, "");
  if (Array.isArray(value)) return value.map(asText).join(" ");
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value) ?? String(value);
}
