/**
 * The order declared files give a YAML scope's tasks. The engine makes a task wait for the call
 * made before it that declared its input as an output, so the task that writes a file must be
 * created before the tasks that read it, wherever the file lists them. Paths still hold their
 * `${{ item }}` and `${{ params.x }}` expressions here, so two paths are taken for the same file
 * when one, its expressions read as "anything", could be the other: an ordering hint only — which
 * call waits for which is decided by the engine on the paths as run.
 *
 * @module
 */
import type { Scope, ScopeEntry } from "./check_references.ts";

const EXPRESSION = /\$\{\{.*?\}\}/g;

/** `path` as a pattern: its expressions match anything, the rest itself. */
function pattern(path: string): RegExp {
  const literal = path.split(EXPRESSION).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${literal.join(".*")}$`);
}

/**
 * Whether two declared paths, with their expressions unknown, may name the same file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mayBeSameFile } from "./file_order.ts";
 * assert.equal(mayBeSameFile("gen/p${{ item }}.dat", "gen/p3.dat"), true);
 * assert.equal(mayBeSameFile("gen/p${{ item }}.dat", "gen/p${{ item }}.dat"), true);
 * assert.equal(mayBeSameFile("out/all.dat", "out/p${{ item }}.dat"), false);
 * ```
 */
export function mayBeSameFile(a: string, b: string): boolean {
  return pattern(a).test(b.replace(EXPRESSION, "")) || pattern(b).test(a.replace(EXPRESSION, ""));
}

/**
 * For each entry of a scope, the ids of the entries whose declared outputs it may read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fileDependencies } from "./file_order.ts";
 * const entry = (id: string, task: object) => ({ id, task, path: [] }) as never;
 * const scope = {
 *   entries: [entry("sum", { inputs: ["out/p1.dat"] }), entry("make", { outputs: ["out/p${{ item }}.dat"] })],
 *   params: [], sequential: false, template: undefined,
 * };
 * assert.deepEqual(fileDependencies(scope).get("sum"), ["make"]);
 * ```
 */
export function fileDependencies(scope: Scope): Map<string, string[]> {
  const writers = scope.entries.filter((e) => (e.task.outputs?.length ?? 0) > 0);
  const deps = new Map<string, string[]>();
  if (writers.length === 0) return deps;
  for (const reader of scope.entries) {
    const inputs = reader.task.inputs ?? [];
    if (inputs.length === 0) continue;
    const ids = writers.filter((w: ScopeEntry) =>
      w !== reader && w.task.outputs!.some((out) => inputs.some((i) => mayBeSameFile(out, i)))
    ).map((w) => w.id);
    if (ids.length > 0) deps.set(reader.id, ids);
  }
  return deps;
}
