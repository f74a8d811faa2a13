/**
 * Paths a client names in a session's staging directory: checked as text first (relative, no
 * `..`, no NUL, bounded), then against the file system (no component is a symbolic link, and the
 * real path stays inside the directory). The agent never makes a symbolic link there, so one it
 * finds was planted by a command, and is refused rather than followed.
 *
 * @module
 */
import { lstat, mkdir, realpath } from "node:fs/promises";
import { sep } from "node:path";
import type { WireTask } from "../protocol/v1.ts";

/** The longest path a client may name, in bytes (Linux's `PATH_MAX`). */
export const MAX_PATH_BYTES = 4096;
/** The longest component, in bytes (Linux's `NAME_MAX`). */
const MAX_NAME_BYTES = 255;

/**
 * A path the agent refuses, with the reason (answered as 400 `bad_path`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BadPathError, checkRelativePath } from "./file_paths.ts";
 * assert.throws(() => checkRelativePath("a\0b"), BadPathError);
 * ```
 */
export class BadPathError extends Error {
  /** Always `"BadPathError"`. */
  override name = "BadPathError";
}

/**
 * The session's staging directory: where its commands that declared files run, where their
 * inputs are placed and where their outputs are read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stagingDir } from "./file_paths.ts";
 * assert.equal(stagingDir("/scratch/agent", "ab"), "/scratch/agent/sessions/ab/work");
 * ```
 */
export function stagingDir(agentDir: string, sid: string): string {
  return `${agentDir}/sessions/${sid}/work`;
}

/**
 * A task as it runs: a staged command's `cwd` (relative, checked at submission) resolved in its
 * session's staging directory; any other task as it came.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { inStagingDir } from "./file_paths.ts";
 * const task = { id: "t", kind: "executable" as const, command: "true", cwd: "sub", staged: true };
 * assert.equal(inStagingDir(task, "/a", "s").cwd, "/a/sessions/s/work/sub");
 * ```
 */
export function inStagingDir<T extends WireTask | { kind: string }>(
  task: T,
  agentDir: string,
  sid: string,
): T {
  if (!("staged" in task) || !task.staged) return task;
  const dir = stagingDir(agentDir, sid);
  return { ...task, cwd: task.cwd === undefined ? dir : `${dir}/${task.cwd}` };
}

/**
 * Checks a client's relative path as text: the components of a normalised relative path
 * (no empty, `.` or `..` component, no leading `/`), no NUL, at most 4,096 bytes and 255 per
 * component.
 *
 * @param path The path as the client sent it.
 * @returns Its components.
 * @throws {BadPathError} Saying what is wrong, with the path.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkRelativePath } from "./file_paths.ts";
 * assert.deepEqual(checkRelativePath("out/p3.dat"), ["out", "p3.dat"]);
 * assert.throws(() => checkRelativePath("../token"), /'\.\.'/);
 * assert.throws(() => checkRelativePath("/etc/passwd"), /absolute/);
 * ```
 */
export function checkRelativePath(path: unknown): string[] {
  if (typeof path !== "string" || path === "") {
    throw new BadPathError(`a path must be a non-empty string, got ${JSON.stringify(path)}`);
  }
  const shown = JSON.stringify(path.slice(0, 200));
  if (path.includes("\0")) throw new BadPathError(`the path ${shown} holds a NUL byte`);
  if (new TextEncoder().encode(path).length > MAX_PATH_BYTES) {
    throw new BadPathError(`the path ${shown}… is longer than ${MAX_PATH_BYTES} bytes`);
  }
  if (path.startsWith("/")) {
    throw new BadPathError(
      `the path ${shown} is absolute: name files relative to the session's staging directory`,
    );
  }
  const parts = path.split("/");
  for (const part of parts) {
    if (part === "..") throw new BadPathError(`the path ${shown} climbs out with '..'`);
    if (part === "" || part === ".") {
      throw new BadPathError(`the path ${shown} is not normalised (an empty or '.' component)`);
    }
    if (new TextEncoder().encode(part).length > MAX_NAME_BYTES) {
      throw new BadPathError(`a component of ${shown} is longer than ${MAX_NAME_BYTES} bytes`);
    }
  }
  return parts;
}

/**
 * The file a client's path names under `root`, after checking that no existing component is a
 * symbolic link (or, but for the last, anything other than a directory) and that its real
 * parent lies inside `root`'s real path.
 *
 * @param root The staging directory (it exists).
 * @param path The client's relative path.
 * @param makeParents Create the missing directories on the way (for placing a file).
 * @returns The absolute path, in `root`'s real path.
 * @throws {BadPathError} When the path is malformed, crosses a symbolic link or leaves `root`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtempSync, realpathSync, symlinkSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { resolveInside } from "./file_paths.ts";
 * const root = realpathSync(mkdtempSync(`${tmpdir()}/work-`));
 * assert.equal(await resolveInside(root, "out/p3.dat", true), `${root}/out/p3.dat`);
 * symlinkSync("/etc", `${root}/etc`);
 * await assert.rejects(resolveInside(root, "etc/passwd"), /symbolic link the agent did not make/);
 * ```
 */
export async function resolveInside(
  root: string,
  path: string,
  makeParents = false,
): Promise<string> {
  const parts = checkRelativePath(path);
  const realRoot = await realpath(root);
  let at = realRoot;
  for (let i = 0; i < parts.length; i++) {
    at = `${at}${sep}${parts[i]}`;
    const last = i === parts.length - 1;
    const kind = await lstat(at).then((s) => s, (error) => {
      if ((error as { code?: string }).code === "ENOENT") return undefined;
      throw error;
    });
    if (kind?.isSymbolicLink()) {
      throw new BadPathError(
        `the path ${JSON.stringify(path)} crosses a symbolic link the agent did not make ` +
          `(${JSON.stringify(parts.slice(0, i + 1).join("/"))}): refused`,
      );
    }
    if (last) break;
    if (kind === undefined) {
      if (!makeParents) break;
      await mkdir(at).catch((error) => {
        if ((error as { code?: string }).code !== "EEXIST") throw error;
      });
    } else if (!kind.isDirectory()) {
      throw new BadPathError(
        `the path ${JSON.stringify(path)} goes through ${
          JSON.stringify(parts.slice(0, i + 1).join("/"))
        }, which is not a directory`,
      );
    }
  }
  // What was checked above could have been swapped since: the real parent must still be inside.
  const parent = at.slice(0, at.lastIndexOf(sep));
  const realParent = await realpath(parent).catch(() => parent);
  if (realParent !== realRoot && !realParent.startsWith(`${realRoot}${sep}`)) {
    throw new BadPathError(`the path ${JSON.stringify(path)} leaves the staging directory`);
  }
  return at;
}
