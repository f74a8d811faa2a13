/**
 * The files a call declares (`inputs`, `outputs`): checked and evaluated when the call is made,
 * resolved against the task's working directory, and matched against what earlier calls declared
 * they write, so that reading a file another task writes is a dependency, exactly as a future is.
 *
 * @module
 */
import { resolvePath } from "./file_paths.ts";
import type { FileFingerprint, TaskFiles } from "./task_files.ts";
import type { TaskFuture } from "./task_future.ts";
import { describe, invalid } from "./validate.ts";

/**
 * How a task declares the files it reads or writes: a list of paths, or a function of the call's
 * arguments (as given: a future stays a future) that returns one, evaluated when the call is made.
 * Relative paths are relative to the task's `cwd`, else the process's working directory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type FileDeclaration, WorkflowEngine } from "@asyncflow/asyncflow";
 * await using flow = await WorkflowEngine.create({ dryRun: true });
 * const outputs: FileDeclaration = (i: number) => [`out/p${i}.dat`];
 * const make = flow.executableTask((i: number) => `make p${i}`, { name: "make", outputs });
 * const use = flow.executableTask(() => "use", { name: "use", inputs: ["out/p3.dat"] });
 * const made = make(3);
 * await use();
 * assert.equal(made.state, "DONE"); // 'use' waited for the task that writes its input
 * ```
 */
export type FileDeclaration = readonly string[] | ((...args: never[]) => readonly string[]);

/** What the engine keeps of one call's declared files. */
export interface NodeFiles {
  /** The paths as declared (parameters put in), for the backend (`TaskSpec.files`). */
  readonly declared: TaskFiles;
  /** The directory relative paths are relative to. */
  readonly base: string;
  /** The inputs, absolute and normalised, in the order declared. */
  readonly inputs: readonly string[];
  /** The outputs, absolute and normalised, in the order declared. */
  readonly outputs: readonly string[];
  /** The fingerprints found as the task finished (or was resumed), for its `done` event. */
  seen?: FileRecord;
}

/**
 * The fingerprints of a task's declared files as they were when it finished, on its `done` event
 * (`event.files`) when results are recorded: what a resumed run compares the files with.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { FileRecord } from "@asyncflow/asyncflow";
 * const files: FileRecord = {
 *   inputs: [],
 *   outputs: [{ path: "out/p3.dat", size: 2, mtimeMs: 1764590000000, sha256: "0".repeat(64) }],
 * };
 * assert.equal(files.outputs[0]!.path, "out/p3.dat");
 * ```
 */
export interface FileRecord {
  /** The declared inputs, in the order declared. */
  readonly inputs: readonly FileFingerprint[];
  /** The declared outputs, in the order declared. */
  readonly outputs: readonly FileFingerprint[];
}

/**
 * Checks an `inputs` or `outputs` option as given: a list of non-empty strings or a function.
 *
 * @throws {TypeError} Naming the option, what it must be and what was given.
 */
export function checkFileDeclaration(value: unknown, name: string, where: string): void {
  if (typeof value === "function") return;
  checkPathList(
    value,
    name,
    where,
    "a list of paths (non-empty strings) or a function returning one",
  );
}

function checkPathList(value: unknown, name: string, where: string, expected: string): void {
  if (!Array.isArray(value)) throw invalid(where, name, expected, value);
  value.forEach((p, i) => {
    if (typeof p !== "string" || p === "") {
      throw invalid(where, `${name}[${i}]`, "a non-empty string (a path)", p);
    }
  });
}

/**
 * Evaluates a call's declarations and resolves them.
 *
 * @param base The directory relative paths are relative to (absolute).
 * @throws {TypeError} When a function declaration throws or returns something that is not a list
 *   of non-empty strings, naming the task and the option.
 */
export function declareFiles(
  inputs: FileDeclaration | undefined,
  outputs: FileDeclaration | undefined,
  args: readonly unknown[],
  base: string,
  where: string,
): NodeFiles {
  const declared = {
    inputs: evaluate(inputs, "inputs", args, where),
    outputs: evaluate(outputs, "outputs", args, where),
  };
  return {
    declared,
    base,
    inputs: declared.inputs.map((p) => resolvePath(base, p)),
    outputs: declared.outputs.map((p) => resolvePath(base, p)),
  };
}

function evaluate(
  declaration: FileDeclaration | undefined,
  name: string,
  args: readonly unknown[],
  where: string,
): readonly string[] {
  if (declaration === undefined) return [];
  if (typeof declaration !== "function") return declaration;
  let paths: unknown;
  try {
    paths = (declaration as (...a: unknown[]) => unknown)(...args);
  } catch (error) {
    const why = error instanceof Error ? error.message : describe(error);
    throw new TypeError(`${where}: the function given as '${name}' threw: ${why}`, {
      cause: error,
    });
  }
  // Named as a call, so the message tells the function's result from the option itself.
  checkPathList(paths, `${name}(...)`, where, "a list of paths (non-empty strings)");
  return paths as readonly string[];
}

/**
 * Per engine: each declared output, by resolved path, and the future of the call that last
 * declared it. A call that declares it as an input waits for that call. A file read by a call
 * made before any call declared it as an output is remembered too, so that a writer called after
 * its reader — which the reader does not wait for — is warned about once.
 */
export class FileProducers {
  readonly #byPath = new Map<string, TaskFuture<unknown>>();
  /** Inputs that no call had declared as an output yet, and the first call that read each. */
  readonly #readFirst = new Map<string, TaskFuture<unknown>>();
  #warned = false;

  /** Adds the producers of `files.inputs` to `deps`, each once. */
  dependOn(files: NodeFiles, deps: TaskFuture<unknown>[]): void {
    for (const path of files.inputs) {
      const producer = this.#byPath.get(path);
      if (producer !== undefined && !deps.includes(producer)) deps.push(producer);
    }
  }

  /**
   * Records the call of `future` (after its checks): the producer of `files.outputs`, and the
   * first reader of the inputs nobody writes yet.
   */
  produce(files: NodeFiles, future: TaskFuture<unknown>): void {
    if (!this.#warned) {
      for (const path of files.inputs) {
        if (!this.#byPath.has(path) && !this.#readFirst.has(path)) {
          this.#readFirst.set(path, future);
        }
      }
    }
    for (const path of files.outputs) {
      this.#byPath.set(path, future);
      const reader = this.#readFirst.get(path);
      if (reader === undefined || reader === future) continue;
      this.#readFirst.delete(path);
      // A reader that already finished read the file before this call: that order is meant.
      if (this.#warned || (reader.state !== "PENDING" && reader.state !== "RUNNING")) continue;
      this.#warned = true;
      this.#readFirst.clear();
      console.warn(
        `asyncflow: '${future.name}' (${future.uid}) declares ${path} as an output, but ` +
          `'${reader.name}' (${reader.uid}), called before it, reads that file and does not wait ` +
          "for it: call the task that writes a file before the tasks that read it. Said once per " +
          "engine.",
      );
    }
  }
}
