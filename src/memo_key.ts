/**
 * The memo key of a task: a hash of what defines its work — kind, name,
 * resolved arguments and command. Two calls with the same key do the same
 * work, so a result recorded under a key can stand in for running the task
 * again (resume).
 *
 * @param kind The task's kind.
 * @param name The task's name.
 * @param args The resolved arguments.
 * @param command The command of an executable task.
 * @returns 16 hex digits, or `undefined` when the arguments cannot be serialised
 *   (such a task is simply always run).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { memoKey } from "./memo_key.ts";
 * assert.ok(memoKey("function", "add", [1, 2]) === memoKey("function", "add", [1, 2]));
 * assert.ok(memoKey("function", "add", [1, 2]) !== memoKey("function", "add", [2, 1]));
 * ```
 */
export function memoKey(
  kind: string,
  name: string,
  args: readonly unknown[],
  command?: string | readonly string[],
): string | undefined {
  let text: string;
  try {
    text = JSON.stringify([kind, name, args, command ?? null]);
  } catch {
    return undefined;
  }
  return fnv1a64(text);
}

/** FNV-1a over UTF-16 code units, as two 32-bit lanes (64 bits) so collisions stay negligible. */
function fnv1a64(text: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0xcbf29ce4;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c ^ (h1 >>> 16), 0x01000193);
  }
  return (h1 >>> 0).toString(16).padStart(8, "0") + (h2 >>> 0).toString(16).padStart(8, "0");
}
