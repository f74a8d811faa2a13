/**
 * The files a task declares: what it reads and what it writes. The shapes the engine, the
 * backends and the run record share; how they are declared (task options, YAML keys) and what the
 * engine does with them (dependencies, checks, resume) live with those mechanisms.
 *
 * @module
 */

/**
 * The files one attempt of a task declared, as handed to a backend on `TaskSpec.files`: each path
 * as declared after the task's parameters were put in — relative to the task's `cwd` (the client's
 * working directory when it has none), or absolute.
 *
 * A backend that runs the task where these paths are not the client's (a pilot agent with its own
 * directory) stages the relative ones: inputs are made present before the command starts, outputs
 * are brought back before the task is reported `done`. Absolute paths are used in place.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { TaskFiles } from "@asyncflow/asyncflow";
 * const files: TaskFiles = { inputs: ["in/p3.dat"], outputs: ["out/p3.dat"] };
 * assert.deepEqual(files.outputs, ["out/p3.dat"]);
 * ```
 */
export interface TaskFiles {
  /** The files the task reads. */
  readonly inputs: readonly string[];
  /** The files the task writes; each must exist once the task succeeded. */
  readonly outputs: readonly string[];
}

/**
 * What identifies one file's content at one moment: the cheap part (size, modification time),
 * checked first, and the content hash, compared when the cheap part differs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { FileFingerprint } from "@asyncflow/asyncflow";
 * const seen: FileFingerprint = { path: "out/p3.dat", size: 3, mtimeMs: 1764590000000, sha256: "a".repeat(64) };
 * assert.equal(seen.sha256.length, 64);
 * ```
 */
export interface FileFingerprint {
  /** The path as the task declared it. */
  readonly path: string;
  /** Its size in bytes. */
  readonly size: number;
  /** Its modification time, ms since the epoch. */
  readonly mtimeMs: number;
  /** The SHA-256 of its content, 64 lowercase hex digits. */
  readonly sha256: string;
}
