/**
 * Paths as the engine compares them: declared files are matched by their absolute, normalised
 * path, so `out/p3.dat` declared by a task in `/work` and `/work/./out/p3.dat` declared by another
 * are one file. Pure string work, POSIX separators: the core has no `node:path`.
 *
 * @module
 */

/**
 * `path` made absolute against `base` (itself absolute) and normalised: no `.` or empty
 * segments, `..` taken back (never above `/`).
 *
 * @param base The directory a relative path is relative to.
 * @param path The path as declared.
 * @returns The absolute path.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolvePath } from "./file_paths.ts";
 * assert.equal(resolvePath("/work", "out/./p3.dat"), "/work/out/p3.dat");
 * assert.equal(resolvePath("/work/a", "../b//c"), "/work/b/c");
 * assert.equal(resolvePath("/work", "/tmp/x/"), "/tmp/x");
 * ```
 */
export function resolvePath(base: string, path: string): string {
  const full = path.startsWith("/") ? path : `${base}/${path}`;
  const parts: string[] = [];
  for (const part of full.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return `/${parts.join("/")}`;
}
