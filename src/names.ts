/**
 * How tasks and blocks are named, so that a person can tell them apart in the
 * progress, the errors, the trace and the report:
 *
 * - a definition is named by its options' `name`, else its function's name,
 *   else where it was defined (`pipeline.ts:14`), else `<kind>-<n>`;
 * - a call inside a block is named under its block: `outer/inner/task`;
 * - an instance carries its key (`task.with({ key: 3 })` gives `task[3]`);
 *   a block without a key carries its primitive arguments (`point(3)` gives
 *   `point[3]`), unless the call was given its own name through `.with({ name })`.
 *
 * @module
 */

/** The most characters of one argument shown in an instance's name. */
const ARG_CHARS = 24;
/** The most characters of an instance's key part, inside the brackets. */
const KEY_CHARS = 64;

/**
 * Where this module's own files are: frames there are not where the user defined a task. workerd
 * gives modules no `import.meta.url`: no prefix then, and a definition is named by its function or
 * a counter rather than by a frame that may be the core's own.
 */
const OWN_PREFIXES = ownPrefixes(import.meta.url);

function ownPrefixes(url: string | undefined): string[] {
  if (!url || !URL.canParse(url)) return [];
  const dir = new URL(".", url);
  return [dir.href, decodeURIComponent(dir.pathname)];
}

/**
 * Names the definitions of one engine that have no name of their own. The
 * counter belongs to the engine: two engines in one process count apart.
 */
export class DefinitionNames {
  #anonymous = 0;

  /**
   * The name of a definition: the given one, the function's, the place of the
   * call that defined it, or `<kind>-<n>`.
   *
   * @param given The `name` option, if any.
   * @param fn The task's function.
   * @param kind `function`, `executable` or `block`.
   */
  of(given: string | undefined, fn: { name: string }, kind: string): string {
    if (given !== undefined) return given;
    if (fn.name) return fn.name;
    return definitionSite() ?? `${kind}-${++this.#anonymous}`;
  }
}

/**
 * The file and line of the first caller outside asyncflow's core, as
 * `file.ts:12`, or `undefined` when the stack does not tell (a runtime that
 * hides it). Called once per definition, never per call.
 */
export function definitionSite(): string | undefined {
  if (OWN_PREFIXES.length === 0) return undefined;
  const stack = new Error().stack;
  if (typeof stack !== "string") return undefined;
  for (const line of stack.split("\n")) {
    // V8 and Bun: `    at fn (file:///a/b.ts:12:3)`, `    at file:///a/b.ts:12:3` or, for an
    // awaited frame, `    at async file:///a/b.ts:12:3`.
    const m = /^\s*at (?:async )?(?:.*? \()?(.+?):(\d+):\d+\)?$/.exec(line);
    if (m === null) continue;
    const file = m[1]!;
    if (OWN_PREFIXES.some((own) => file.startsWith(own))) continue;
    // Runtime internals, and code without a file (an eval, a REPL line) that no one could find:
    // the frame that called it names the place instead.
    if (/^(node:|ext:|native$|<|eval at )/.test(file)) continue;
    const base = file.slice(Math.max(file.lastIndexOf("/"), file.lastIndexOf("\\")) + 1) || file;
    return `${base}:${m[2]}`;
  }
  return undefined;
}

/**
 * What tells one call apart from the others of its definition, as the
 * bracketed part of its name: the key when given; for a block not named per
 * call, its primitive arguments (strings, numbers, booleans, bigints; futures
 * and objects left out); else nothing.
 *
 * @param key The `key` option, if any.
 * @param args The call's arguments (only read for blocks).
 * @param fromArgs Whether the arguments may stand for the key (a block not named per call).
 * @returns `[…]`, or `""`.
 */
export function instanceSuffix(
  key: string | number | undefined,
  args: readonly unknown[],
  fromArgs: boolean,
): string {
  if (key !== undefined) return `[${bounded(String(key), KEY_CHARS)}]`;
  if (!fromArgs) return "";
  let text = "";
  for (const a of args) {
    const t = typeof a;
    if (t !== "string" && t !== "number" && t !== "boolean" && t !== "bigint") continue;
    const shown = bounded(String(a), ARG_CHARS);
    text = text === "" ? shown : `${text},${shown}`;
    if (text.length >= KEY_CHARS) break;
  }
  return text === "" ? "" : `[${bounded(text, KEY_CHARS)}]`;
}

function bounded(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
