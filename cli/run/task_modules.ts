/**
 * `--module <file>`: more task modules for the backends that address
 * functions by module and export (the worker pool, an agent). A workflow's
 * functions often live in a module of their own, which the workflow imports;
 * naming it here lets the pool and the agent find them without re-exports.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { UsageError } from "../usage.ts";
import { describeLoadError } from "./load_error.ts";
import { shareOwnPackage } from "./share_package.ts";

/**
 * Checks and imports the task modules named on the command line, so a
 * mistake stops the run before anything starts.
 *
 * @param command The subcommand, for messages.
 * @param files The paths, relative to the working directory.
 * @returns Their file URLs, in order, without duplicates.
 * @throws {UsageError} When a file does not exist or cannot be imported.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadTaskModules } from "./task_modules.ts";
 * const [url] = await loadTaskModules("run", ["examples/worker_pool_tasks.ts"]);
 * assert.match(url!, /^file:\/\/.*\/examples\/worker_pool_tasks\.ts$/);
 * await assert.rejects(loadTaskModules("run", ["nope.ts"]), /task module 'nope.ts' does not exist/);
 * ```
 */
export async function loadTaskModules(
  command: string,
  files: readonly string[],
): Promise<string[]> {
  const urls: string[] = [];
  await shareOwnPackage();
  for (const file of files) {
    if (!existsSync(file)) {
      throw new UsageError(command, `task module '${file}' does not exist (--module ${file})`);
    }
    const url = pathToFileURL(resolve(file)).href;
    try {
      await import(url);
    } catch (error) {
      const why = await describeLoadError(error, resolve(file));
      throw new UsageError(command, `cannot load task module '${file}': ${why}`);
    }
    if (!urls.includes(url)) urls.push(url);
  }
  return urls;
}
