import { host as runtimeHost } from "./host/mod.ts";
import type { DefinitionNames } from "./names.ts";
import { describe, type MergedOptions, mergeOptions, validateOptions } from "./options.ts";
import type { TaskFunction } from "./task_function.ts";
import type { TaskFuture } from "./task_future.ts";
import type { AnyFunction } from "./task_node.ts";
import type { TaskKind } from "./task_state.ts";

/** A task definition, shared by all its calls. */
export interface Definition {
  kind: TaskKind;
  fn: AnyFunction;
  /** The name its calls carry (under their block's); `.with({ name })` changes it. */
  name: string;
  /** The name it was defined with, which every call of it shares (per-template counts). */
  template: string;
  options: MergedOptions;
}

/** Options that only make sense for executables, and those blocks refuse. */
const EXECUTABLE_ONLY = ["cwd", "env", "captureOutput", "result"] as const;
const BLOCK_FORBIDDEN = [
  "backend",
  "resources",
  "priority",
  "inputs",
  "outputs",
  ...EXECUTABLE_ONLY,
] as const;

/** What a definition needs from its engine. */
export interface DefinitionHost {
  /** The engine's backend names, to check `backend`. */
  readonly backendNames: readonly string[];
  /** Names the definitions that have none of their own. */
  readonly names: DefinitionNames;
  /** Makes a call of a definition. */
  call(def: Definition, args: unknown[]): TaskFuture<unknown>;
}

/**
 * Makes the task function for `functionTask`, `executableTask` or `block`,
 * after checking the function and its options.
 *
 * @throws {TypeError} When `fn` is not a function or an option is wrong for this kind.
 */
export function define(
  host: DefinitionHost,
  kind: TaskKind,
  fn: unknown,
  options: unknown,
): TaskFunction<unknown[], unknown> {
  const what = kind === "block" ? "block" : `${kind}Task`;
  if (typeof fn !== "function") {
    throw new TypeError(`${what}: expected a function, got ${describe(fn)}`);
  }
  const where = `${what}(${fn.name || "anonymous"})`;
  const checked = checkOptions(host, kind, options, where);
  const name = host.names.of(checked.name, fn, kind);
  return wrap(host, { kind, fn: fn as AnyFunction, name, template: name, options: checked });
}

function checkOptions(
  host: DefinitionHost,
  kind: TaskKind,
  options: unknown,
  where: string,
): MergedOptions {
  const checked = validateOptions(options, where);
  const forbidden = kind === "block" ? BLOCK_FORBIDDEN : kind === "function" ? EXECUTABLE_ONLY : [];
  for (const key of forbidden) {
    if (checked[key] !== undefined) {
      throw new TypeError(`${where}: option '${key}' does not apply to ${kind} tasks`);
    }
  }
  if ((checked.inputs !== undefined || checked.outputs !== undefined) && !runtimeHost.hasFiles) {
    throw new TypeError(
      `${where}: 'inputs' and 'outputs' declare files, and asyncflow on ${runtimeHost.runtime} has no ` +
        "file system to check them in: declare files where the engine runs on Deno, Bun or Node",
    );
  }
  if (checked.backend !== undefined && !host.backendNames.includes(checked.backend)) {
    throw new TypeError(
      `${where}: unknown backend '${checked.backend}' (this engine has: ${
        host.backendNames.join(", ")
      })`,
    );
  }
  return checked;
}

function wrap(host: DefinitionHost, def: Definition): TaskFunction<unknown[], unknown> {
  const call = (...args: unknown[]) => host.call(def, args);
  return Object.assign(call, {
    with: (options: MergedOptions) => {
      const where = `${def.name}.with`;
      const extra = checkOptions(host, def.kind, options, where);
      if (extra.result !== undefined) {
        throw new TypeError(
          `${where}: 'result' changes what the task resolves to: give it when defining the task`,
        );
      }
      const merged = mergeOptions(def.options, extra);
      return wrap(host, { ...def, name: extra.name ?? def.name, options: merged });
    },
    options: def.options,
    taskName: def.name,
  }) as TaskFunction<unknown[], unknown>;
}
