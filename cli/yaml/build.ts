/**
 * Turns a validated YAML workflow into engine calls: each task becomes a
 * function, executable or block task; `${{ tasks.<id>.output }}` becomes a
 * future passed as an argument (so a dependency); `after` becomes the
 * `after` option; block templates become engine blocks that run their own
 * tasks or steps when they start.
 *
 * @module
 */
import type { ExecutableOptions, RetryPolicy, TaskFuture, WorkflowEngine } from "../../mod.ts";
import {
  afterIds,
  type Scope,
  type ScopeEntry,
  scopesOf,
  walkStrings,
} from "./check_references.ts";
import {
  asText,
  type Expression,
  expressionsIn,
  substitute,
  wholeExpression,
} from "./expressions.ts";
import { settledValue } from "./block_output.ts";
import { fileDependencies } from "./file_order.ts";
import { forEachItems, instanceKey } from "./for_each.ts";
import { knownForEach, knownRepeat } from "./iteration_params.ts";
import { functionKey, type LoadedYaml } from "./load.ts";
import { fieldName } from "./positions.ts";
import type { TaskDef } from "./schema.ts";
import { parseDuration } from "../../mod.ts";
import { pathToFileURL } from "node:url";
import { dirname, resolve } from "node:path";

type AnyFuture = TaskFuture<unknown>;

/** What a task's strings see: the current `for_each` element and the block's parameters. */
interface Context {
  item: unknown;
  params: Record<string, unknown>;
}

/**
 * Makes the function the CLI runs for a YAML workflow: it calls every
 * top-level task and waits until all have settled (failures are counted by
 * the caller through events and `stats()`, not thrown).
 *
 * @param loaded The workflow, from `loadYamlWorkflow`.
 * @param params The values of the workflow's `params` (default: their defaults; see `params.ts`
 *   for those given on the command line).
 * @returns `(flow) => Promise<void>`.
 *
 * @example
 * ```ts ignore
 * import { WorkflowEngine } from "../../mod.ts";
 * import { loadYamlWorkflow } from "./load.ts";
 * import { yamlWorkflow } from "./build.ts";
 * await using flow = await WorkflowEngine.create();
 * await yamlWorkflow(await loadYamlWorkflow("examples/campaigns.yaml"))(flow);
 * ```
 */
export function yamlWorkflow(
  loaded: LoadedYaml,
  params: Record<string, unknown> = loaded.def.params ?? {},
): (flow: WorkflowEngine) => Promise<void> {
  const scopes = scopesOf(loaded.def);
  const base = dirname(resolve(loaded.file));
  const run = async (
    flow: WorkflowEngine,
    scope: Scope,
    params: Record<string, unknown>,
  ) => {
    const futures = new Map<string, AnyFuture[]>();
    for (const entry of topologicalOrder(scope)) {
      const items = itemsOf(entry, params);
      const made: AnyFuture[] = [];
      items.forEach((item, index) => {
        const ctx: Context = { item, params };
        const name = instanceName(
          entry,
          ctx,
          items.length > 1 || entry.task.for_each !== undefined,
          index,
        );
        // In a sequence of steps, the instances of one step run one after the other too.
        const previous = scope.sequential ? made.at(-1) : undefined;
        made.push(call(flow, entry, ctx, name, futures, scope, run, previous));
      });
      futures.set(entry.id, made);
    }
    const all = [...futures.values()].flat();
    const settled = await Promise.allSettled(all);
    const failure = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
    return { failure, output: (id: string) => outputOf(scope, futures, id) };
  };

  /** Calls one instance of a task. */
  const call = (
    flow: WorkflowEngine,
    entry: ScopeEntry,
    ctx: Context,
    name: { name?: string; key?: string | number },
    futures: Map<string, AnyFuture[]>,
    scope: Scope,
    runScope: typeof run,
    previous: AnyFuture | undefined,
  ): AnyFuture => {
    const { task } = entry;
    // Defined under the entry's id, called under the instance's name: the id is the template
    // that the progress and the report count by (`step-1` for `name: "step-${{ item }}"`).
    const options = taskOptions(task, ctx, entry.id, futures);
    const i = scope.entries.indexOf(entry);
    if (scope.sequential && i > 0) {
      options.after = [...(options.after ?? []), ...(futures.get(scope.entries[i - 1]!.id) ?? [])];
    }
    if (previous) options.after = [...(options.after ?? []), previous];
    const output = (id: string) => outputOf(scope, futures, id);
    if (task.command !== undefined) {
      const command = task.command;
      const ids = outputIds(command);
      const body = (...values: unknown[]) => {
        const fill = (text: string) =>
          substitute(
            text,
            (e) => (e.kind === "output" ? asText(values[ids.indexOf(e.task)]) : undefined),
          );
        return typeof command === "string"
          ? fill(staticText(command, ctx))
          : command.map((a) => fill(staticText(a, ctx)));
      };
      return flow.executableTask(body, options).with(name)(...ids.map(output));
    }
    if (task.function !== undefined) {
      const url = pathToFileURL(resolve(base, task.function.module)).href;
      const fn = loaded.functions.get(functionKey(url, task.function.export))!;
      const args = (task.args ?? []).map((a) => materialize(a, ctx, output));
      return flow.functionTask(fn as (...args: unknown[]) => unknown, options).with(name)(
        ...args,
      );
    }
    const block = task.block!;
    const template = scopes.get(block)!;
    const declared = loaded.def.blocks?.[block]?.output;
    const params = materialize(task.params ?? {}, ctx, output) as Record<string, unknown>;
    const body = async (given: Record<string, unknown>) => {
      const { failure, output: inner } = await runScope(flow, template, given);
      if (failure) throw failure.reason;
      if (declared === undefined) return undefined;
      return await settledValue(materialize(declared, { item: undefined, params: given }, inner));
    };
    return flow.block(body, options).with(name)(params);
  };

  return async (flow) => {
    await run(flow, scopes.get(undefined)!, params);
  };
}

/** What `${{ tasks.<id>.output }}` gives in a scope: the future, or the list of an iterated task's. */
function outputOf(scope: Scope, futures: Map<string, AnyFuture[]>, id: string): unknown {
  const list = futures.get(id) ?? [];
  const task = scope.entries.find((e) => e.id === id)?.task;
  // A count given by a parameter gives a list even for 1: the shape must not depend on the value.
  const iterated = task?.for_each !== undefined || typeof task?.repeat === "string";
  return iterated || list.length > 1 ? list : list[0];
}

/**
 * The items of a task's instances: its `for_each`, 1 … n for `repeat: n`, else one; a list or
 * count given by a parameter is read from `params`.
 *
 * @throws {TypeError} Naming the task, when a parameter's value cannot be iterated over.
 */
function itemsOf(entry: ScopeEntry, params: Record<string, unknown>): unknown[] {
  try {
    const forEach = knownForEach(entry.task, params);
    if (forEach !== undefined) return forEachItems(forEach);
    const repeat = knownRepeat(entry.task, params);
    if (repeat !== undefined) return Array.from({ length: repeat }, (_, i) => i + 1);
  } catch (error) {
    throw new TypeError(`${fieldName(entry.path)}.${(error as Error).message}`);
  }
  return [undefined];
}

/** The engine options of one task instance. */
function taskOptions(
  task: TaskDef,
  ctx: Context,
  name: string,
  futures: Map<string, AnyFuture[]>,
): ExecutableOptions {
  const o: ExecutableOptions = { name };
  const after = afterIds(task).flatMap((id) => futures.get(id) ?? []);
  if (after.length > 0) o.after = after;
  if (task.retries !== undefined) o.retries = retryPolicy(task.retries);
  if (task.timeout !== undefined) o.timeout = durationMs(task.timeout);
  if (task.priority !== undefined) o.priority = task.priority;
  if (task.cwd !== undefined) o.cwd = staticText(task.cwd, ctx);
  if (task.inputs !== undefined) o.inputs = task.inputs.map((p) => staticText(p, ctx));
  if (task.outputs !== undefined) o.outputs = task.outputs.map((p) => staticText(p, ctx));
  if (task.env !== undefined) {
    o.env = Object.fromEntries(
      Object.entries(task.env).map(([k, v]) => [k, staticText(String(v), ctx)]),
    );
  }
  const r = task.resources;
  if (r !== undefined) {
    o.resources = {};
    if (r.ranks !== undefined) o.resources.ranks = r.ranks;
    if (r.cores_per_rank !== undefined) o.resources.coresPerRank = r.cores_per_rank;
    if (r.gpus_per_rank !== undefined) o.resources.gpusPerRank = r.gpus_per_rank;
    if (r.memory_mb !== undefined) o.resources.memoryMb = r.memory_mb;
  }
  return o;
}

function retryPolicy(retries: NonNullable<TaskDef["retries"]>): number | RetryPolicy {
  if (typeof retries === "number") return retries;
  const p: RetryPolicy = { max: (retries.max ?? retries.attempts)! };
  if (retries.backoff !== undefined) p.backoff = durationMs(retries.backoff, true);
  if (retries.factor !== undefined) p.factor = retries.factor;
  if (retries.max_backoff !== undefined) p.maxBackoff = durationMs(retries.max_backoff, true);
  return p;
}

/**
 * A duration of a workflow file in milliseconds: a string such as `"1h30m"`,
 * or (deprecated, warned about when the file is loaded) a number of seconds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { durationMs } from "./build.ts";
 * assert.equal(durationMs("1m30s"), 90_000);
 * assert.equal(durationMs(1.5), 1_500);
 * ```
 */
export function durationMs(value: number | string, zero = false): number {
  if (typeof value === "number") return value * 1000;
  return parseDuration(value, "duration", "workflow file", { textOnly: true, zero });
}

/**
 * How one instance is named: by its `name` (expressions filled in) when it has one, else by its
 * id (the definition's name) and, when the task is iterated, the key of its item, which the
 * engine shows as `<id>[<key>]`: `process[3]`, `process[p=3,q=a]` (see `instanceKey`). The
 * engine puts it under its block's name (`<block>/<name>`).
 */
function instanceName(
  entry: ScopeEntry,
  ctx: Context,
  iterated: boolean,
  index: number,
): { name?: string; key?: string | number } {
  if (entry.task.name !== undefined) return { name: staticText(entry.task.name, ctx) };
  return iterated ? { key: instanceKey(ctx.item, index) } : {};
}

/** Fills in `item` and `params` expressions as text; task outputs are left for later. */
function staticText(text: string, ctx: Context): string {
  return substitute(text, (e) => {
    const v = staticValue(e, ctx);
    return v.found ? asText(v.value) : undefined;
  });
}

function staticValue(e: Expression, ctx: Context): { found: boolean; value?: unknown } {
  if (e.kind === "param") return { found: true, value: ctx.params[e.name] };
  if (e.kind === "item") {
    const value = e.key === undefined ? ctx.item : (ctx.item as Record<string, unknown>)[e.key];
    return { found: true, value };
  }
  return { found: false };
}

/**
 * Builds an argument value: a string that is exactly one expression becomes
 * that value itself (a future for a task output), other strings get their
 * expressions filled in as text, lists and mappings are built recursively.
 */
function materialize(value: unknown, ctx: Context, output: (id: string) => unknown): unknown {
  if (typeof value === "string") {
    const whole = wholeExpression(value);
    if (whole?.kind === "output") return output(whole.task);
    if (whole) {
      const v = staticValue(whole, ctx);
      if (v.found) return v.value;
    }
    return staticText(value, ctx);
  }
  if (Array.isArray(value)) return value.map((v) => materialize(v, ctx, output));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, materialize(v, ctx, output)]),
    );
  }
  return value;
}

/** The ids of the tasks whose outputs a command uses, each once, in order. */
function outputIds(command: string | readonly string[]): string[] {
  const ids: string[] = [];
  walkStrings(command, [], (text) => {
    for (const e of expressionsIn(text)) {
      if (e.kind === "output" && !ids.includes(e.task)) ids.push(e.task);
    }
  });
  return ids;
}

/** The ids a task waits for: `after`, task outputs in its fields, and the previous step. */
function dependencyIds(task: TaskDef): string[] {
  const ids = new Set(afterIds(task));
  walkStrings([task.command, task.args, task.params], [], (text) => {
    for (const e of expressionsIn(text)) if (e.kind === "output") ids.add(e.task);
  });
  return [...ids];
}

/** The ids an entry of a scope waits for, including the previous step of a sequence. */
function scopeDependencies(scope: Scope, entry: ScopeEntry): string[] {
  const ids = dependencyIds(entry.task);
  const i = scope.entries.indexOf(entry);
  if (scope.sequential && i > 0) ids.push(scope.entries[i - 1]!.id);
  return ids;
}

/**
 * The entries of a scope, each after those it depends on (the file was checked for cycles), and
 * after the writers of the files it reads — unless those would make a cycle, which the engine
 * then warns of when it runs.
 */
function topologicalOrder(scope: Scope): ScopeEntry[] {
  const files = fileDependencies(scope);
  const withFiles = (entry: ScopeEntry) => [
    ...scopeDependencies(scope, entry),
    ...(files.get(entry.id) ?? []),
  ];
  return (files.size > 0 ? ordered(scope, withFiles) : undefined) ??
    ordered(scope, (entry) => scopeDependencies(scope, entry)) ?? scope.entries;
}

/** The entries, each after what `dependencies` names; `undefined` when they make a cycle. */
function ordered(
  scope: Scope,
  dependencies: (entry: ScopeEntry) => string[],
): ScopeEntry[] | undefined {
  const byId = new Map(scope.entries.map((e) => [e.id, e]));
  const state = new Map<string, "visiting" | "done">();
  const order: ScopeEntry[] = [];
  const visit = (entry: ScopeEntry): boolean => {
    const seen = state.get(entry.id);
    if (seen !== undefined) return seen === "done";
    state.set(entry.id, "visiting");
    for (const id of dependencies(entry)) {
      const dep = byId.get(id);
      if (dep && !visit(dep)) return false;
    }
    state.set(entry.id, "done");
    order.push(entry);
    return true;
  };
  return scope.entries.every(visit) ? order : undefined;
}
