/**
 * The checks that need the whole file: every task and block a task names
 * exists, every expression makes sense where it is, block parameters match,
 * and neither the tasks of a scope nor the block templates form a cycle.
 *
 * @module
 */
import { didYouMean } from "../did_you_mean.ts";
import { type Expression, expressionsIn, wholeExpression } from "./expressions.ts";
import { forEachKeys } from "./for_each.ts";
import { iterationParams } from "./iteration_params.ts";
import type { Path } from "./positions.ts";
import type { StepDef, TaskDef, WorkflowDef } from "./schema.ts";

/** A mistake found by these checks, at a path (and optionally a key of the map there). */
export interface PathIssue {
  /** Where: the field's path. */
  path: Path;
  /** What is wrong. */
  message: string;
  /** A key of the map at `path`, to point at the key itself rather than its value. */
  key?: string;
}

/** One task of a scope, with its id and where it sits in the file. */
export interface ScopeEntry {
  id: string;
  task: TaskDef;
  path: Path;
}

/** The tasks that see each other: the file's top level, or one block template. */
export interface Scope {
  entries: ScopeEntry[];
  /** The declared parameters: the block template's, or the workflow's at the top level. */
  params: readonly string[];
  /** Whether each entry runs after the previous one (`steps`). */
  sequential: boolean;
  /** The block template's name; `undefined` at the top level. */
  template: string | undefined;
}

/**
 * The ids of a block's steps: the given `id`, else `step-<n>`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stepId } from "./check_references.ts";
 * assert.equal(stepId({ command: "true" }, 0), "step-1");
 * ```
 */
export function stepId(step: StepDef, index: number): string {
  return step.id ?? `step-${index + 1}`;
}

/** Every scope of the file: the top level, then each block template. */
export function scopesOf(def: WorkflowDef): Map<string | undefined, Scope> {
  const scopes = new Map<string | undefined, Scope>();
  scopes.set(undefined, {
    entries: Object.entries(def.tasks).map(([id, task]) => ({ id, task, path: ["tasks", id] })),
    params: Object.keys(def.params ?? {}),
    sequential: false,
    template: undefined,
  });
  for (const [name, block] of Object.entries(def.blocks ?? {})) {
    const entries: ScopeEntry[] = block.tasks
      ? Object.entries(block.tasks).map(([id, task]) => ({
        id,
        task,
        path: ["blocks", name, "tasks", id],
      }))
      : (block.steps ?? []).map((step, i) => ({
        id: stepId(step, i),
        task: step,
        path: ["blocks", name, "steps", i],
      }));
    scopes.set(name, {
      entries,
      params: block.params ?? [],
      sequential: block.steps !== undefined,
      template: name,
    });
  }
  return scopes;
}

/** The ids listed in a task's `after`. */
export function afterIds(task: TaskDef): string[] {
  return task.after === undefined ? [] : typeof task.after === "string" ? [task.after] : task.after;
}

/**
 * Checks the references of a schema-valid workflow.
 *
 * @returns Every problem found, in file order; empty when the file is sound.
 */
export function checkReferences(def: WorkflowDef): PathIssue[] {
  const issues: PathIssue[] = [];
  const blocks = def.blocks ?? {};
  for (const scope of scopesOf(def).values()) {
    const byId = new Map<string, ScopeEntry>();
    for (const entry of scope.entries) {
      if (byId.has(entry.id)) {
        issues.push({ path: [...entry.path, "id"], message: `duplicate step id '${entry.id}'` });
      }
      byId.set(entry.id, entry);
    }
    const deps = new Map<string, string[]>();
    scope.entries.forEach((entry, i) => {
      const found = checkEntry(entry, scope, byId, blocks, issues);
      if (scope.sequential && i > 0) found.push(scope.entries[i - 1]!.id);
      deps.set(entry.id, found);
    });
    const cycle = findCycle(scope.entries.map((e) => e.id), deps);
    if (cycle) {
      const first = byId.get(cycle[0]!)!;
      issues.push({ path: first.path, message: `the tasks form a cycle: ${cycle.join(" -> ")}` });
    }
  }
  issues.push(...blockCycles(def));
  return issues;
}

/** Checks one task; returns the ids it depends on in its scope. */
function checkEntry(
  entry: ScopeEntry,
  scope: Scope,
  byId: Map<string, ScopeEntry>,
  blocks: NonNullable<WorkflowDef["blocks"]>,
  issues: PathIssue[],
): string[] {
  const { task, path } = entry;
  const known = () => [...byId.keys()].join(", ");
  const deps: string[] = [];
  const after = afterIds(task);
  after.forEach((id, i) => {
    const at = typeof task.after === "string" ? [...path, "after"] : [...path, "after", i];
    if (byId.has(id)) deps.push(id);
    else issues.push({ path: at, message: `unknown task '${id}' (tasks here: ${known()})` });
  });
  const iterated = task.for_each !== undefined || task.repeat !== undefined;
  const check = (e: Expression, at: Path, field: string, whole: boolean) => {
    if (e.kind === "invalid") {
      issues.push({
        path: at,
        message:
          `unknown expression '\${{ ${e.text} }}' (use tasks.<id>.output, params.<name>, item or item.<key>)`,
      });
    } else if (e.kind === "output") {
      const target = byId.get(e.task);
      if (!["command", "args", "params"].includes(field)) {
        issues.push({
          path: at,
          message: `task outputs can be used in command, args and params, not in '${field}'`,
        });
      } else if (target === undefined) {
        issues.push({
          path: at,
          message:
            `unknown task '${e.task}' in \${{ tasks.${e.task}.output }} (tasks here: ${known()})`,
        });
      } else if (target.task.block !== undefined && !hasOutput(blocks, target.task.block)) {
        issues.push({
          path: at,
          message: `'${e.task}' is an instance of block '${target.task.block}', which has no ` +
            `output: give the block an 'output:' (such as \${{ tasks.<id>.output }} of one of ` +
            `its tasks), or list '${e.task}' in 'after' instead`,
        });
      } else if (!whole && (field === "args" || field === "params")) {
        issues.push({
          path: at,
          message: `in '${field}', a task output must be the whole value, not part of a string`,
        });
      } else {
        deps.push(e.task);
      }
    } else if (e.kind === "param") {
      issues.push(...paramProblems(e.name, scope, at));
    } else if (!iterated) {
      issues.push({
        path: at,
        message: "${{ item }} needs 'for_each' or 'repeat' on the same task",
      });
    } else if (e.key !== undefined && task.repeat !== undefined) {
      issues.push({
        path: at,
        message: `with 'repeat', \${{ item }} is a number: it has no key '${e.key}'`,
      });
    } else if (e.key !== undefined && task.for_each !== undefined) {
      const keys = forEachKeys(task.for_each);
      const bad = Array.isArray(task.for_each)
        ? task.for_each.findIndex((item) => !hasKey(item, e.key!))
        : -1;
      if (keys !== undefined && !keys.includes(e.key)) {
        issues.push({
          path: at,
          message: `for_each has no list '${e.key}' for \${{ item.${e.key} }}` +
            `${didYouMean(e.key, keys)} (lists: ${keys.join(", ")})`,
        });
      } else if (bad >= 0) {
        issues.push({
          path: at,
          message: `for_each[${bad}] has no key '${e.key}' for \${{ item.${e.key} }}`,
        });
      }
    }
  };
  for (const { name, path: at } of iterationParams(task)) {
    issues.push(...paramProblems(name, scope, [...path, ...at]));
  }
  for (
    const field of ["name", "command", "args", "params", "cwd", "env", "inputs", "outputs"] as const
  ) {
    walkStrings(task[field], [...path, field], (text, at) => {
      const whole = wholeExpression(text);
      for (const e of whole ? [whole] : expressionsIn(text)) {
        check(e, at, field, whole !== undefined);
      }
    });
  }
  if (task.block !== undefined) {
    const template = blocks[task.block];
    if (template === undefined) {
      const names = Object.keys(blocks).join(", ") || "none";
      issues.push({
        path: [...path, "block"],
        message: `unknown block '${task.block}' (blocks: ${names})`,
      });
    } else {
      const declared = template.params ?? [];
      const given = Object.keys(task.params ?? {});
      for (const p of given.filter((p) => !declared.includes(p))) {
        issues.push({
          path: [...path, "params"],
          key: p,
          message: `block '${task.block}' has no parameter '${p}' (declared: ${
            declared.join(", ") || "none"
          })`,
        });
      }
      for (const p of declared.filter((p) => !given.includes(p))) {
        issues.push({
          path: [...path, "block"],
          message: `block '${task.block}' needs parameter '${p}'`,
        });
      }
    }
  }
  return deps;
}

/** An unknown `${{ params.<name> }}` of a scope, or none. */
export function paramProblems(name: string, scope: Scope, at: Path): PathIssue[] {
  if (scope.params.includes(name)) return [];
  const declared = scope.params.join(", ") || "none";
  const where = scope.template === undefined
    ? ": top-level tasks see the workflow's 'params:'"
    : `: block '${scope.template}' sees its own 'params:'`;
  return [{
    path: at,
    message: `unknown parameter '${name}'${didYouMean(name, scope.params)} (declared: ` +
      `${declared})${scope.params.length === 0 ? where : ""}`,
  }];
}

function hasOutput(blocks: NonNullable<WorkflowDef["blocks"]>, name: string): boolean {
  return blocks[name]?.output !== undefined;
}

function hasKey(item: unknown, key: string): boolean {
  return item !== null && typeof item === "object" && !Array.isArray(item) && key in item;
}

/** Calls `visit` on every string inside `value`, with its path. */
export function walkStrings(
  value: unknown,
  path: Path,
  visit: (text: string, path: Path) => void,
): void {
  if (typeof value === "string") visit(value, path);
  else if (Array.isArray(value)) value.forEach((v, i) => walkStrings(v, [...path, i], visit));
  else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) walkStrings(v, [...path, k], visit);
  }
}

/**
 * A cycle in a dependency map, as the ids along it with the first repeated at
 * the end (`["a", "b", "a"]`), or `undefined`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { findCycle } from "./check_references.ts";
 * const deps = new Map([["a", ["b"]], ["b", ["a"]]]);
 * assert.equal(findCycle(["a", "b"], deps)?.join(" -> "), "a -> b -> a");
 * ```
 */
export function findCycle(
  ids: readonly string[],
  deps: ReadonlyMap<string, readonly string[]>,
): string[] | undefined {
  const state = new Map<string, "open" | "closed">();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === "closed") return undefined;
    if (state.get(id) === "open") return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, "open");
    stack.push(id);
    for (const d of deps.get(id) ?? []) {
      const cycle = visit(d);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(id, "closed");
    return undefined;
  };
  for (const id of ids) {
    const cycle = visit(id);
    if (cycle) return cycle;
  }
  return undefined;
}

/** Block templates that instantiate themselves, directly or through others. */
function blockCycles(def: WorkflowDef): PathIssue[] {
  const scopes = scopesOf(def);
  const uses = new Map<string, string[]>();
  for (const [name, scope] of scopes) {
    if (name === undefined) continue;
    uses.set(
      name,
      scope.entries.flatMap((e) => (e.task.block === undefined ? [] : [e.task.block])),
    );
  }
  const cycle = findCycle([...uses.keys()], uses);
  if (!cycle) return [];
  const [from, to] = [cycle[0]!, cycle[1]!];
  const entry = scopes.get(from)!.entries.find((e) => e.task.block === to)!;
  return [{
    path: [...entry.path, "block"],
    message: `blocks instantiate each other in a cycle: ${cycle.join(" -> ")}`,
  }];
}
