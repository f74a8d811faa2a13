/**
 * Staging a task's declared files through the agent. The client's working directory stands for
 * the session's staging directory on the agent: a command with relative declared files runs
 * there (its `cwd` the same relative path as on the client), its inputs are uploaded into the
 * agent's content-addressed store — only those it lacks — and placed before it starts, and its
 * outputs are brought back to the client's paths before it is reported `done` (or, with
 * `stageOut: "never"`, left there and reported as fingerprints). Absolute paths are used in
 * place, and so is every path with `sharedFilesystem`.
 *
 * @module
 */
import type { TaskSpec } from "../../src/backend.ts";
import type { FileFingerprint } from "../../src/task_files.ts";
import type { WireExecutableTask, WireTask } from "../../protocol/v1.ts";
import { nodeBuiltins } from "./_node_builtins.ts";
import type { AgentConnection } from "./connection.ts";
import { fingerprint, type LocalFile, readStream, statFile, writeStream } from "./file_transfer.ts";
import { agentFetch, AgentHttpError, discardBody } from "./http.ts";
import type { RemoteBackendOptions } from "./options.ts";

/** Whether a task's declared outputs come back to the client: `always` (default) or `never`. */
type StageOut = NonNullable<RemoteBackendOptions["stageOut"]>;

/** One declared file: as declared, on the client, and in the staging directory. */
interface Staged {
  readonly declared: string;
  readonly local: string;
  readonly remote: string;
}

/** What one task stages. */
interface Plan {
  readonly name: string;
  readonly inputs: readonly Staged[];
  readonly outputs: readonly Staged[];
  readonly dirs: readonly string[];
}

const PARALLEL_UPLOADS = 4;

/**
 * Why a task's files could not be staged: what, for which task, and the agent's answer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { StagingError } from "./staging.ts";
 * assert.equal(new StagingError("x").name, "StagingError");
 * ```
 */
export class StagingError extends Error {
  /** Always `"StagingError"`. */
  override name = "StagingError";
}

/**
 * A RemoteBackend's staging of files: plans, uploads, placements and downloads, and what it
 * knows the agent holds (blobs in its store; files of the session's staging directory).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RemoteBackend } from "@asyncflow/asyncflow/remote";
 * // Outputs stay on the agent; the engine gets their fingerprints on the task's record.
 * const backend = new RemoteBackend({ url: "http://127.0.0.1:9", token: "t", stageOut: "never" });
 * assert.equal(backend.name, "remote");
 * ```
 */
export class FileStaging {
  readonly #conn: AgentConnection;
  readonly #session: () => string | undefined;
  readonly #inflight: ReadonlyMap<string, unknown>;
  readonly #backend: string;
  readonly #stageOut: StageOut;
  readonly #shared: boolean;
  readonly #root: string | undefined;
  readonly #plans = new Map<string, Plan>();
  /** Blobs the agent's store is known to hold (it keeps them for every session). */
  readonly #blobs = new Set<string>();
  readonly #uploading = new Map<string, Promise<void>>();
  /** Files of the current session's staging directory whose content is known, by path. */
  #onAgent = new Map<string, string>();
  #onAgentSid: string | undefined;
  /** Hashes of client files, by path, kept while size, time and inode stay the same. */
  readonly #hashes = new Map<string, LocalFile>();
  readonly #hashing = new Map<string, Promise<LocalFile | undefined>>();
  #uploads = 0;
  readonly #waiting: (() => void)[] = [];

  /**
   * @param conn Where the agent is.
   * @param session The current session's id.
   * @param inflight The backend's tasks in flight, by id.
   * @param options The backend's options: its name, `stageOut`, `sharedFilesystem`, `stagingRoot`.
   */
  constructor(
    conn: AgentConnection,
    session: () => string | undefined,
    inflight: ReadonlyMap<string, unknown>,
    options: Pick<
      RemoteBackendOptions,
      "name" | "stageOut" | "sharedFilesystem" | "stagingRoot"
    >,
  ) {
    if (options.stageOut !== undefined && !["always", "never"].includes(options.stageOut)) {
      throw new TypeError(
        `RemoteBackend: 'stageOut' must be "always" or "never", got ${
          JSON.stringify(options.stageOut)
        }`,
      );
    }
    this.#conn = conn;
    this.#session = session;
    this.#inflight = inflight;
    this.#backend = options.name ?? "remote";
    this.#stageOut = options.stageOut ?? "always";
    this.#shared = options.sharedFilesystem ?? false;
    this.#root = options.stagingRoot;
  }

  /**
   * Plans the staging of a task and marks its wire form `staged` (its `cwd` made relative to the
   * staging root); `false` when it has nothing to stage.
   *
   * @throws {TypeError} When its files cannot be staged: a function task, or a path outside the
   * staging root.
   */
  plan(spec: TaskSpec, wire: WireTask): boolean {
    const files = spec.files;
    if (files === undefined || this.#shared) return false;
    const { isAbsolute, relative, resolve } = nodeBuiltins("staging files")("node:path");
    const declared = [...files.inputs, ...files.outputs];
    if (!declared.some((p) => !isAbsolute(p))) return false;
    const what = `RemoteBackend '${this.#backend}': task '${spec.name}' (${spec.uid})`;
    if (wire.kind !== "executable") {
      throw new TypeError(
        `${what} is a function and declares relative files: only commands have their files ` +
          "staged to the agent; give absolute paths on a filesystem the agent shares, or sharedFilesystem: true",
      );
    }
    // The task's paths are relative to its cwd, and a relative cwd to this process's.
    const here = nodeBuiltins("staging files")("node:process").cwd();
    const root = resolve(here, this.#root ?? ".");
    const base = resolve(here, spec.cwd ?? ".");
    const inside = (local: string, declared: string) => {
      const r = relative(root, local);
      if (r === ".." || r.startsWith("../") || isAbsolute(r)) {
        throw new TypeError(
          `${what}: ${JSON.stringify(declared)} is outside the staging root ${root} (the ` +
            "client's directory that stands for the session's directory on the agent: " +
            "'stagingRoot', by default the working directory); give a root above it, or " +
            "absolute paths on a filesystem the agent shares",
        );
      }
      return r;
    };
    const cwd = inside(base, spec.cwd ?? ".");
    const staged = (p: string): Staged => {
      const local = resolve(base, p);
      return { declared: p, local, remote: inside(local, p) };
    };
    const inputs = files.inputs.filter((p) => !isAbsolute(p)).map(staged);
    const outputs = files.outputs.filter((p) => !isAbsolute(p)).map(staged);
    const dirs = new Set(cwd === "" ? [] : [cwd]);
    for (const o of outputs) {
      const dir = o.remote.slice(0, Math.max(0, o.remote.lastIndexOf("/")));
      if (dir !== "") dirs.add(dir);
    }
    const w = wire as WireExecutableTask;
    w.staged = true;
    if (cwd === "") delete w.cwd;
    else w.cwd = cwd;
    this.#plans.set(spec.id, {
      name: spec.name,
      inputs,
      outputs,
      dirs: [...dirs],
    });
    return true;
  }

  /**
   * Makes a planned task's inputs present in the staging directory: each hashed (streamed), the
   * blobs the agent lacks uploaded, then all placed, with the directories its outputs go to.
   *
   * @throws {Error} When an input is missing on the client, is over the agent's limit, or the
   * agent refuses.
   */
  async stageIn(id: string): Promise<void> {
    const plan = this.#plans.get(id)!;
    try {
      await this.#stageIn(plan);
    } catch (error) {
      this.#plans.delete(id);
      throw this.#wrap(plan, "inputs", error);
    }
  }

  async #stageIn(plan: Plan): Promise<void> {
    const sid = this.#current();
    const files: { path: string; sha256: string }[] = [];
    const uploads = new Map<string, { file: LocalFile; local: string }>();
    for (const input of plan.inputs) {
      const file = await this.#hash(input);
      const there = this.#onAgent.get(input.remote);
      if (file === undefined) {
        if (there !== undefined) continue; // an output left on the agent by an earlier task
        throw new StagingError(
          `RemoteBackend '${this.#backend}': the input ${JSON.stringify(input.declared)} of ` +
            `task '${plan.name}' does not exist on the client (${input.local})`,
        );
      }
      if (there === file.sha256) continue; // the staging directory has this content already
      uploads.set(file.sha256, { file, local: input.local });
      files.push({ path: input.remote, sha256: file.sha256 });
    }
    const send = () => Promise.all([...uploads.values()].map((u) => this.#ensureBlob(u, sid)));
    const place = async () => {
      const res = await agentFetch(this.#conn.endpoint, `/v1/sessions/${sid}/files`, {
        method: "POST",
        body: { dirs: plan.dirs, files },
        signal: this.#conn.signal,
      });
      await discardBody(res);
    };
    await send();
    try {
      await place();
    } catch (error) {
      // The store lost blobs it had (an agent restarted on another directory): send them again.
      if (!(error instanceof AgentHttpError && error.code === "blobs_missing")) throw error;
      for (const sha of uploads.keys()) this.#blobs.delete(sha);
      await send();
      await place();
    }
    for (const f of files) this.#onAgent.set(f.path, f.sha256);
  }

  /**
   * Ends a task's staging: for a `done` one with declared outputs, brings them back (or, with
   * `stageOut: "never"`, fingerprints them on the agent); `undefined` when there is nothing to do.
   */
  finish(id: string, done: boolean): Promise<FileFingerprint[] | undefined> | undefined {
    const plan = this.#plans.get(id);
    this.#plans.delete(id);
    if (!done || plan === undefined || plan.outputs.length === 0) return undefined;
    const out = this.#stageOut === "never" ? this.#fingerprints(plan) : this.#fetchAll(plan);
    return out.catch((error) => Promise.reject(this.#wrap(plan, "outputs", error)));
  }

  #wrap(plan: Plan, what: string, error: unknown): Error {
    if (error instanceof StagingError) return error;
    return new StagingError(
      `RemoteBackend '${this.#backend}': cannot stage the ${what} of task '${plan.name}': ${
        (error as Error)?.message ?? String(error)
      }`,
      { cause: error },
    );
  }

  async #fetchAll(plan: Plan): Promise<undefined> {
    const sid = this.#current();
    for (const out of plan.outputs) {
      let res: Response;
      try {
        res = await agentFetch(
          this.#conn.endpoint,
          `/v1/sessions/${sid}/files?path=${encodeURIComponent(out.remote)}`,
          { signal: this.#conn.signal },
        );
      } catch (error) {
        throw this.#missing(plan, out, error);
      }
      const { sha256 } = await writeStream(res.body!, out.local);
      this.#onAgent.set(out.remote, sha256);
    }
    return undefined;
  }

  async #fingerprints(plan: Plan): Promise<FileFingerprint[]> {
    const res = await agentFetch(
      this.#conn.endpoint,
      `/v1/sessions/${this.#current()}/files/fingerprints`,
      {
        method: "POST",
        body: { paths: plan.outputs.map((o) => o.remote) },
        signal: this.#conn.signal,
      },
    );
    const body = await res.json() as { files: FileFingerprint[]; missing: string[] };
    const gone = plan.outputs.find((o) => body.missing.includes(o.remote));
    if (gone) throw this.#missing(plan, gone);
    return body.files.map((f, i) => {
      this.#onAgent.set(f.path, f.sha256);
      return { ...f, path: plan.outputs[i]!.declared };
    });
  }

  #missing(plan: Plan, out: Staged, error?: unknown): Error {
    if (
      error !== undefined && !(error instanceof AgentHttpError && error.code === "no_such_file")
    ) {
      return error as Error;
    }
    return new StagingError(
      `RemoteBackend '${this.#backend}': task '${plan.name}' succeeded but did not write its ` +
        `declared output ${
          JSON.stringify(out.declared)
        } (looked for ${out.remote} in the session's ` +
        "staging directory on the agent)",
    );
  }

  /** The session now, forgetting what was known of an earlier session's staging directory. */
  #current(): string {
    const sid = this.#session();
    if (sid === undefined) throw new Error(`RemoteBackend '${this.#backend}': no session`);
    if (sid !== this.#onAgentSid) {
      this.#onAgent = new Map();
      this.#onAgentSid = sid;
      // Tasks of the session before were failed with it: their plans go.
      for (const id of this.#plans.keys()) if (!this.#inflight.has(id)) this.#plans.delete(id);
    }
    return sid;
  }

  /** A client file's fingerprint, hashed again only when its size, time or inode changed. */
  async #hash(f: Staged): Promise<LocalFile | undefined> {
    const seen = this.#hashes.get(f.local);
    const now = await statFile(f.local);
    if (now === undefined) return undefined;
    if (seen && seen.size === now.size && seen.mtimeMs === now.mtimeMs && seen.ino === now.ino) {
      return seen;
    }
    // Tasks of a sweep submitted together share an input: it is read once, not once each.
    let hashing = this.#hashing.get(f.local);
    if (hashing === undefined) {
      hashing = fingerprint(f.local, f.declared)
        .then((file) => {
          if (file !== undefined) this.#hashes.set(f.local, file);
          return file;
        })
        .finally(() => this.#hashing.delete(f.local));
      this.#hashing.set(f.local, hashing);
    }
    return await hashing;
  }

  /** Uploads a blob the agent's store lacks (asked once per content, a few uploads at a time). */
  #ensureBlob(u: { file: LocalFile; local: string }, sid: string): Promise<void> {
    const sha = u.file.sha256;
    if (this.#blobs.has(sha)) return Promise.resolve();
    let up = this.#uploading.get(sha);
    if (up === undefined) {
      up = this.#upload(u.file, u.local, sid)
        .then(() => void this.#blobs.add(sha))
        .finally(() => this.#uploading.delete(sha));
      this.#uploading.set(sha, up);
    }
    return up;
  }

  async #upload(file: LocalFile, local: string, sid: string): Promise<void> {
    const blob = `/v1/sessions/${sid}/blobs/${file.sha256}`;
    const signal = this.#conn.signal;
    const head = await agentFetch(this.#conn.endpoint, blob, {
      method: "HEAD",
      allow: [404],
      signal,
    });
    await discardBody(head);
    if (head.ok) return;
    const max = Number(head.headers.get("x-max-file-bytes"));
    if (max > 0 && file.size > max) {
      throw new StagingError(
        `RemoteBackend '${this.#backend}': ${local} (${file.size} bytes) is larger than the ` +
          `agent's limit of ${max} bytes for a file (its maxFileBytes)`,
      );
    }
    while (this.#uploads >= PARALLEL_UPLOADS) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    this.#uploads++;
    try {
      const res = await agentFetch(this.#conn.endpoint, blob, {
        method: "PUT",
        stream: readStream(local),
        signal,
      });
      await discardBody(res);
    } finally {
      this.#uploads--;
      this.#waiting.shift()?.();
    }
  }
}
