/**
 * A block template's `output:`: what each instance of the block resolves to,
 * so that a task can take `${{ tasks.<instance>.output }}` of a block as it
 * takes a task's (a block iterated with `for_each` gives the list of its
 * instances' outputs, in instance order). The value is read once every task
 * of the instance has settled.
 *
 * @module
 */
import { isThenable } from "../../src/thenable.ts";
import {
  paramProblems,
  type PathIssue,
  type Scope,
  scopesOf,
  walkStrings,
} from "./check_references.ts";
import { didYouMean } from "../did_you_mean.ts";
import { type Expression, expressionsIn, wholeExpression } from "./expressions.ts";
import type { Path } from "./positions.ts";
import type { WorkflowDef } from "./schema.ts";

/**
 * Checks the `output:` of every block template of a workflow.
 *
 * @param def A schema-valid workflow.
 * @returns Every problem found.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkBlockOutputs } from "./block_output.ts";
 * const def = {
 *   tasks: {},
 *   blocks: { b: { tasks: { t: { command: "true" } }, output: "${{ tasks.t.output }}" } },
 * };
 * assert.deepEqual(checkBlockOutputs(def), []);
 * ```
 */
export function checkBlockOutputs(def: WorkflowDef): PathIssue[] {
  const scopes = scopesOf(def);
  return Object.entries(def.blocks ?? {}).flatMap(([name, block]) =>
    block.output === undefined
      ? []
      : checkBlockOutput(block.output, scopes.get(name)!, ["blocks", name, "output"])
  );
}

/**
 * Checks the expressions of a block's `output:`: task outputs of the block's own tasks, as whole
 * values; the block's parameters; nothing else.
 *
 * @param output The `output:` value.
 * @param scope The block template's scope.
 * @param path Where `output:` sits in the file.
 * @returns Every problem found.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkBlockOutput } from "./block_output.ts";
 * const scope = { entries: [], params: [], sequential: false, template: "b" };
 * const [issue] = checkBlockOutput("${{ tasks.nope.output }}", scope, ["blocks", "b", "output"]);
 * assert.match(issue!.message, /unknown task 'nope'/);
 * ```
 */
export function checkBlockOutput(output: unknown, scope: Scope, path: Path): PathIssue[] {
  const issues: PathIssue[] = [];
  const ids = scope.entries.map((e) => e.id);
  const check = (e: Expression, at: Path, whole: boolean) => {
    if (e.kind === "invalid") {
      issues.push({
        path: at,
        message: `unknown expression '\${{ ${e.text} }}' in a block's output ` +
          "(use tasks.<id>.output of one of its tasks, or params.<name>)",
      });
    } else if (e.kind === "item") {
      issues.push({
        path: at,
        message: "a block's output has no ${{ item }}: it belongs to the task that iterates",
      });
    } else if (e.kind === "param") {
      issues.push(...paramProblems(e.name, scope, at));
    } else if (!ids.includes(e.task)) {
      issues.push({
        path: at,
        message:
          `unknown task '${e.task}' in \${{ tasks.${e.task}.output }}${didYouMean(e.task, ids)} ` +
          `(tasks of block ` +
          `'${scope.template}': ${ids.join(", ")})`,
      });
    } else if (!whole) {
      issues.push({
        path: at,
        message: "in 'output', a task output must be the whole value, not part of a string",
      });
    }
  };
  walkStrings(output, path, (text, at) => {
    const whole = wholeExpression(text);
    for (const e of whole ? [whole] : expressionsIn(text)) check(e, at, whole !== undefined);
  });
  return issues;
}

/**
 * Awaits every future inside a value built from an `output:` (lists and mappings included), so
 * that the block resolves to plain values.
 *
 * @param value The value, with futures where task outputs were named.
 * @returns The same shape, each future replaced by its value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { settledValue } from "./block_output.ts";
 * assert.deepEqual(await settledValue({ a: [Promise.resolve(1), 2] }), { a: [1, 2] });
 * ```
 */
export async function settledValue(value: unknown): Promise<unknown> {
  if (isThenable(value)) return await value;
  if (Array.isArray(value)) return await Promise.all(value.map(settledValue));
  if (value !== null && typeof value === "object") {
    const entries = await Promise.all(
      Object.entries(value).map(async ([k, v]) => [k, await settledValue(v)] as const),
    );
    return Object.fromEntries(entries);
  }
  return value;
}
