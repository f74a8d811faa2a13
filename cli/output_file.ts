/**
 * Files a command writes (a trace, a graph, a report): when one cannot be
 * written, the command says which and why in one line and exits 2.
 *
 * @module
 */
import { writeFile } from "node:fs/promises";
import { UsageError } from "./usage.ts";

/**
 * Why a file cannot be written, for a reader: the error's code in words.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { whyNotWritable } from "./output_file.ts";
 * assert.equal(whyNotWritable({ code: "ENOENT" }), "its directory does not exist (ENOENT)");
 * ```
 */
export function whyNotWritable(error: unknown): string {
  const e = (error ?? {}) as { code?: string; message?: string };
  const why = e.code === "ENOENT"
    ? "its directory does not exist"
    : e.code === "EACCES" || e.code === "EROFS" || e.code === "EPERM"
    ? "no permission to write there"
    : e.code === "EISDIR"
    ? "it is a directory"
    : e.code === "ENOSPC"
    ? "no space left on the device"
    : String(e.message ?? error).split("\n")[0];
  return `${why} (${e.code ?? "error"})`;
}

/**
 * Writes `text` to `path` for `command`.
 *
 * @throws {UsageError} Naming the file and the reason, when it cannot be written.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeOutputFile } from "./output_file.ts";
 * await assert.rejects(writeOutputFile("graph", "/nonexistent/g.mmd", "x"), /its directory does not exist/);
 * ```
 */
export async function writeOutputFile(command: string, path: string, text: string): Promise<void> {
  try {
    await writeFile(path, text);
  } catch (error) {
    throw new UsageError(command, `cannot write '${path}': ${whyNotWritable(error)}`, {
      help: false,
    });
  }
}
