import { TaskFuture } from "./task_future.ts";
import { isThenable } from "./thenable.ts";

/** How deep inside arrays and plain objects futures are looked for. */
export const MAX_SCAN_DEPTH = 32;

/**
 * Finds every `TaskFuture` in a task's arguments: positional, inside arrays,
 * inside plain objects (option bags), to {@linkcode MAX_SCAN_DEPTH} levels.
 *
 * @param args The call's arguments.
 * @param out Receives the futures found (duplicates included).
 * @returns `true` if some future sits inside a container, so that resolving
 *   needs a deep copy; `false` if futures (if any) are only top-level.
 * @throws {TypeError} On a foreign promise: its settlement cannot be tracked
 *   as a dependency, so the caller must await it first.
 */
export function collectFutures(args: readonly unknown[], out: TaskFuture<unknown>[]): boolean {
  let nested = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === null || typeof a !== "object") continue;
    if (a instanceof TaskFuture) out.push(a);
    else if (scanDeep(a, out, 1, `argument ${i + 1}`)) nested = true;
  }
  return nested;
}

function scanDeep(value: object, out: TaskFuture<unknown>[], depth: number, path: string): boolean {
  if (isThenable(value)) {
    throw new TypeError(
      `${path} is a promise that is not a TaskFuture: await it before the call, or make it a task`,
    );
  }
  if (depth > MAX_SCAN_DEPTH) return false;
  let found = false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (v === null || typeof v !== "object") continue;
      if (v instanceof TaskFuture) {
        out.push(v);
        found = true;
      } else if (scanDeep(v, out, depth + 1, `${path}[${i}]`)) found = true;
    }
    return found;
  }
  if (!isPlainObject(value)) return false;
  for (const key in value) {
    const v: unknown = (value as Record<string, unknown>)[key];
    if (v === null || typeof v !== "object") continue;
    if (v instanceof TaskFuture) {
      out.push(v);
      found = true;
    } else if (scanDeep(v, out, depth + 1, `${path}.${key}`)) found = true;
  }
  return found;
}

/**
 * Returns the arguments with every future replaced by its value. Containers
 * that hold futures are copied; the user's own objects are never mutated.
 *
 * @param args The call's arguments; every future in them must be `DONE`.
 * @param nested What {@linkcode collectFutures} returned.
 */
export function resolveArgs(args: readonly unknown[], nested: boolean): unknown[] {
  const out = new Array<unknown>(args.length);
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    out[i] = a instanceof TaskFuture ? a.value : nested ? resolveDeep(a, 1) : a;
  }
  return out;
}

function resolveDeep(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== "object" || depth > MAX_SCAN_DEPTH) return value;
  if (value instanceof TaskFuture) return value.value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      const r = resolveDeep(v, depth + 1);
      if (r !== v) (copy ??= value.slice())[i] = r;
    }
    return copy ?? value;
  }
  if (!isPlainObject(value)) return value;
  let copy: Record<string, unknown> | undefined;
  for (const key in value) {
    const v = (value as Record<string, unknown>)[key];
    const r = resolveDeep(v, depth + 1);
    if (r !== v) (copy ??= { ...value })[key] = r;
  }
  return copy ?? value;
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
