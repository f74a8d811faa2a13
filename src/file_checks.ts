/**
 * What the engine does with a task's declared files once it has them: after the task succeeded,
 * every declared output must be there (and, when results are recorded, each file gets its
 * fingerprint for the `done` event); when a run is resumed, a recorded task is taken as done only
 * if its outputs are there and unchanged and its inputs unchanged. Files are read through the
 * host; a file is hashed only when its size or modification time differs from what was seen.
 *
 * @module
 */
import type { FileRecord, NodeFiles } from "./declared_files.ts";
import { MissingOutputError } from "./errors.ts";
import { host } from "./host/mod.ts";
import type { FileFingerprint } from "./task_files.ts";
import type { TaskNode } from "./task_node.ts";

/** The SHA-256 of no bytes: what a directory is fingerprinted with (its content is not hashed). */
const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/** What the checks need from the engine. */
export interface FileCheckHost {
  /** The task's attempt succeeded and its files are in order: settle it `DONE`. */
  done(node: TaskNode, value: unknown): void;
  /** The task's attempt failed (its retry policy applies). */
  failed(node: TaskNode, error: unknown): void;
}

/**
 * The checks of one engine, with what it has already seen of each file (by resolved path), so a
 * file that one task wrote and the next reads is hashed once.
 */
export class FileChecks {
  readonly #host: FileCheckHost;
  readonly #record: boolean;
  readonly #seen = new Map<string, FileFingerprint>();

  /** @param record Fingerprint every declared file when its task finishes (results are recorded). */
  constructor(host: FileCheckHost, record: boolean) {
    this.#host = host;
    this.#record = record;
  }

  /**
   * The backend reported the attempt done: check its outputs, then settle it — unless it was
   * cancelled or timed out meanwhile. Outputs the backend reported (`record.outputs`, from a
   * filesystem the engine cannot read) are taken as they are.
   */
  finished(node: TaskNode, value: unknown): void {
    const files = node.files!;
    const attempt = node.attempt;
    // The attempt's run is over: its timeout does not cover the engine's own look at the files.
    if (node.timer !== undefined) {
      clearTimeout(node.timer);
      node.timer = undefined;
    }
    const current = () => !node.settled && node.attempt === attempt;
    this.#finish(files, node.record?.outputs).then((missing) => {
      if (!current()) return;
      if (missing.length > 0) {
        this.#host.failed(node, new MissingOutputError(node, missing, files.base));
      } else this.#host.done(node, value);
    }, (error) => {
      if (!current()) return;
      this.#host.failed(
        node,
        new Error(
          `'${node.name}' (${node.uid}) succeeded but its declared files could not be checked: ${
            error instanceof Error ? error.message : String(error)
          }`,
          { cause: error },
        ),
      );
    });
  }

  /** The declared outputs that are missing; sets `files.seen` when recording. */
  async #finish(files: NodeFiles, reported: readonly FileFingerprint[] | undefined) {
    const { declared } = files;
    const outputs = reported === undefined
      ? await Promise.all(
        declared.outputs.map((p, i) =>
          this.#record ? this.fingerprint(p, files.outputs[i]!) : this.#exists(files.outputs[i]!)
        ),
      )
      : declared.outputs.map((p) => reported.find((f) => f.path === p));
    const missing = declared.outputs.filter((_, i) => outputs[i] === undefined);
    if (missing.length === 0 && this.#record) {
      const inputs = await Promise.all(
        declared.inputs.map((p, i) => this.fingerprint(p, files.inputs[i]!)),
      );
      // An input that vanished while the task ran is recorded as absent: the next resume reruns it.
      files.seen = {
        inputs: inputs.filter((f) => f !== undefined),
        outputs: outputs as FileFingerprint[],
      };
    }
    return missing;
  }

  async #exists(path: string): Promise<true | undefined> {
    return (await host.fileStat(path)) === undefined ? undefined : true;
  }

  /**
   * Why a task recorded as done must run again — a declared output missing or changed, an input
   * missing or changed — or `undefined` when its files are as recorded (then `files.seen` holds
   * them as they are now). Size and modification time first, then the hash: a file rewritten
   * with the same content is unchanged.
   *
   * @param recorded The fingerprints on the task's recorded `done` event.
   */
  async whyRerun(files: NodeFiles, recorded: FileRecord | undefined): Promise<string | undefined> {
    if (recorded === undefined) return "no fingerprints of its files were recorded";
    const { declared } = files;
    const compare = (
      paths: readonly string[],
      resolved: readonly string[],
      was: readonly FileFingerprint[],
    ) =>
      Promise.all(paths.map(async (p, i) => {
        const before = was.find((f) => f.path === p);
        const now = await this.fingerprint(p, resolved[i]!, before);
        const why = now === undefined
          ? `${p} missing`
          : before === undefined
          ? `${p} was not recorded`
          : now.sha256 !== before.sha256
          ? `${p} changed`
          : undefined;
        return { now, why };
      }));
    const outputs = await compare(declared.outputs, files.outputs, recorded.outputs);
    const inputs = await compare(declared.inputs, files.inputs, recorded.inputs);
    const reasons = [...outputs, ...inputs].flatMap((c) => (c.why === undefined ? [] : [c.why]));
    if (reasons.length > 0) {
      return reasons.length === 1 ? reasons[0] : `${reasons[0]} (and ${reasons.length - 1} more)`;
    }
    files.seen = {
      inputs: inputs.map((c) => c.now!),
      outputs: outputs.map((c) => c.now!),
    };
    return undefined;
  }

  /**
   * The fingerprint of a file now, or `undefined` when it is missing. Hashed only when its size or
   * modification time differs from `before` and from what this engine last saw of it.
   *
   * @param declared The path as declared (what the fingerprint names).
   * @param path The resolved path.
   */
  async fingerprint(
    declared: string,
    path: string,
    before?: FileFingerprint,
  ): Promise<FileFingerprint | undefined> {
    const stat = await host.fileStat(path);
    if (stat === undefined) return undefined;
    const same = (f: FileFingerprint | undefined) =>
      f !== undefined && f.size === stat.size && f.mtimeMs === stat.mtimeMs;
    const known = this.#seen.get(path);
    const sha256 = same(before)
      ? before!.sha256
      : same(known)
      ? known!.sha256
      : stat.directory
      ? EMPTY_SHA256
      : await host.sha256File(path);
    const fingerprint = { path: declared, size: stat.size, mtimeMs: stat.mtimeMs, sha256 };
    this.#seen.set(path, fingerprint);
    return fingerprint;
  }
}
