/**
 * The values of a YAML workflow's `params:` for one run: the workflow's
 * defaults, overridden by a params file (`--params file.yaml|json`, a mapping
 * of names to values), overridden in turn by `--param name=value` flags. A
 * name the workflow does not declare is a mistake, wherever it is given.
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, Scalar } from "yaml";
import { didYouMean } from "../did_you_mean.ts";
import { UsageError } from "../usage.ts";
import { WorkflowFileError } from "./load.ts";
import type { FileIssue } from "./positions.ts";

/** Where a parameter's value came from. */
export type ParamSource = "default" | "params file" | "--param";

/** One parameter's value for a run, and where it came from. */
export interface ResolvedParam {
  /** The parameter's name. */
  name: string;
  /** Its value. */
  value: unknown;
  /** Which of the default, the params file or a `--param` flag gave it. */
  from: ParamSource;
}

/** What the command line says of the parameters. */
export interface ParamOverrides {
  /** The `--param name=value` flags, in order (a later one wins). */
  flags?: readonly string[];
  /** The `--params <file>` path. */
  file?: string;
}

/**
 * Reads the value of `--param name=value` as YAML would, so that `n=4` gives the number 4,
 * `on=true` a boolean, `seeds=[1, 2]` a list and `x='"4"'` the string "4"; plain text stays
 * exactly as typed (a `#` in it is not a comment).
 *
 * @param text What follows the `=`.
 * @returns The value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { paramValue } from "./params.ts";
 * assert.equal(paramValue("4"), 4);
 * assert.equal(paramValue('"4"'), "4");
 * assert.deepEqual(paramValue("[1, 2]"), [1, 2]);
 * assert.equal(paramValue("a: b # c"), "a: b # c");
 * ```
 */
export function paramValue(text: string): unknown {
  const doc = parseDocument(text);
  const node = doc.contents;
  if (doc.errors.length > 0 || node === null) return text;
  if (isScalar(node)) {
    // Plain text that YAML reads as a string keeps its spaces and any '#'.
    const plainString = node.type === Scalar.PLAIN && typeof node.value === "string";
    return plainString ? text : node.toJSON();
  }
  if ((isSeq(node) || isMap(node)) && node.flow) return doc.toJS();
  return text;
}

/**
 * Splits one `--param name=value` flag.
 *
 * @throws {UsageError} When there is no `=` or no name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseParamFlag } from "./params.ts";
 * assert.deepEqual(parseParamFlag("n=4"), ["n", 4]);
 * assert.throws(() => parseParamFlag("n"), /name=value/);
 * ```
 */
export function parseParamFlag(flag: string, command = "run"): [string, unknown] {
  const eq = flag.indexOf("=");
  if (eq <= 0) {
    throw new UsageError(command, `'--param' takes name=value (such as n=4), got '${flag}'`);
  }
  return [flag.slice(0, eq).trim(), paramValue(flag.slice(eq + 1))];
}

/**
 * The parameters of one run, in the order the workflow declares them.
 *
 * @param declared The workflow's `params:` (names and defaults).
 * @param overrides The command line's `--params` file and `--param` flags.
 * @param command The command whose flags they are, for its messages. Default `"run"`.
 * @returns Each declared parameter's value and its source.
 * @throws {UsageError} On a malformed or unknown `--param`, or a params file that cannot be read.
 * @throws {WorkflowFileError} On a params file that is not a mapping or names an unknown parameter.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveParams } from "./params.ts";
 * const params = await resolveParams({ n: 2, name: "x" }, { flags: ["n=5"] });
 * assert.deepEqual(params, [
 *   { name: "n", value: 5, from: "--param" },
 *   { name: "name", value: "x", from: "default" },
 * ]);
 * await assert.rejects(resolveParams({ n: 2 }, { flags: ["m=5"] }), /did you mean 'n'/);
 * ```
 */
export async function resolveParams(
  declared: Readonly<Record<string, unknown>>,
  overrides: ParamOverrides,
  command = "run",
): Promise<ResolvedParam[]> {
  const names = Object.keys(declared);
  const resolved = new Map<string, ResolvedParam>(
    names.map((name) => [name, { name, value: declared[name], from: "default" }]),
  );
  if (overrides.file !== undefined) {
    for (const [name, value] of await readParamsFile(overrides.file, names, command)) {
      resolved.set(name, { name, value, from: "params file" });
    }
  }
  for (const flag of overrides.flags ?? []) {
    const [name, value] = parseParamFlag(flag, command);
    if (!resolved.has(name)) {
      throw new UsageError(command, `--param ${flag}: ${unknownParameter(name, names)}`);
    }
    resolved.set(name, { name, value, from: "--param" });
  }
  return [...resolved.values()];
}

/** The values of a params file, checked against the declared names. */
async function readParamsFile(file: string, names: readonly string[], command: string) {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const code = (error as { code?: string }).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "a directory" : error;
    throw new UsageError(command, `cannot read the params file '${file}': ${why}`);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const issue = (offset: number, field: string, message: string): FileIssue => ({
    file,
    ...lines.linePos(offset),
    field,
    message,
  });
  const fail = (issues: FileIssue[]) => new WorkflowFileError(issues, "params file");
  if (doc.errors.length > 0) {
    throw fail(
      doc.errors.map((e) =>
        issue(e.pos[0], "", `YAML syntax: ${e.message.split("\n")[0]!.trim()}`)
      ),
    );
  }
  const root = doc.contents;
  if (root !== null && !isMap(root)) {
    throw fail([
      issue(
        root.range?.[0] ?? 0,
        "",
        "a params file must be a mapping of parameter names to values, such as 'n: 4'",
      ),
    ]);
  }
  const js = (doc.toJS() ?? {}) as Record<string, unknown>;
  const values = new Map<string, unknown>();
  const issues: FileIssue[] = [];
  for (const pair of root?.items ?? []) {
    if (!isPair(pair)) continue;
    const name = String(isScalar(pair.key) ? pair.key.value : pair.key);
    if (names.includes(name)) {
      values.set(name, js[name]);
    } else {
      const at = (pair.key as { range?: number[] } | null)?.range?.[0] ?? 0;
      issues.push(issue(at, name, unknownParameter(name, names)));
    }
  }
  if (issues.length > 0) throw fail(issues);
  return values;
}

function unknownParameter(name: string, names: readonly string[]): string {
  if (names.length === 0) {
    return `the workflow has no parameter '${name}': it declares none (add 'params: { ${name}: ` +
      "<default> }' to it)";
  }
  return `the workflow has no parameter '${name}'${didYouMean(name, names)} (params: ${
    names.join(", ")
  })`;
}
