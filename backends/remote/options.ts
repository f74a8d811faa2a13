/**
 * The options of {@linkcode RemoteBackend}.
 *
 * @module
 */
import { deprecated } from "../../src/deprecated.ts";
import { type Duration, parseDuration } from "../../src/duration.ts";
import type { TaskModule } from "./addressing.ts";

/**
 * Options of {@linkcode RemoteBackend}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { RemoteBackendOptions } from "@asyncflow/asyncflow/remote";
 * const o: RemoteBackendOptions = { url: "http://127.0.0.1:8080", token: "…", unreachableAfter: "10s" };
 * assert.equal(o.unreachableAfter, "10s");
 * ```
 */
export interface RemoteBackendOptions {
  /** The agent's base URL. Required unless `endpointFile` is given. */
  url?: string;
  /** The agent's bearer token. Required unless `endpointFile` is given. */
  token?: string;
  /**
   * A file holding `{ url, token }` (what the agent writes); re-read when the agent cannot be
   * reached. When it also holds `certificate` and `fingerprint` (an agent started with
   * `--tls-self-signed`), the connection goes through only to a server presenting exactly that
   * certificate.
   */
  endpointFile?: string;
  /** The name tasks route to. Default `"remote"`. */
  name?: string;
  /**
   * Task modules, by the names the agent was started with: a URL or path
   * (`{ tasks: new URL("./tasks.ts", import.meta.url) }`), or the imported module itself
   * (`import * as tasks from "./tasks.ts"; … { tasks }`), which needs no URL: in a bundle, a
   * browser or workerd.
   */
  modules?: Record<string, TaskModule>;
  /** How many tasks the agent holds at once (the engine queues the rest). Default: unlimited. */
  capacity?: number;
  /** How often to send a heartbeat (ms, or a string such as `"5s"`). Default 5 s. */
  heartbeat?: Duration;
  /** After how long without a heartbeat the agent cancels the session's tasks. Default 60 s. */
  sessionTimeout?: Duration;
  /** After how long without any answer from the agent the tasks in flight fail. Default 30 s. */
  unreachableAfter?: Duration;
  /** @deprecated Write `heartbeat` (the same number of ms, or `"5s"`). */
  heartbeatMs?: number;
  /** @deprecated Write `sessionTimeout` (the same number of ms, or `"60s"`). */
  sessionTimeoutMs?: number;
  /** @deprecated Write `unreachableAfter` (the same number of ms, or `"30s"`). */
  unreachableMs?: number;
  /** Most tasks per request. Default 4 096 (the agent's limit). */
  maxBatch?: number;
  /**
   * About the most JSON per request, in characters (a task larger than that goes alone).
   * Default 16 MiB, under the agent's 64 MiB body limit (`--max-body-bytes`) whatever the text.
   */
  maxBatchBytes?: number;
  /** `sse` (default) or `poll` (long polling, for proxies that break streaming). */
  transport?: "sse" | "poll";
  /**
   * What becomes of a command's declared outputs (`TaskSpec.files`, relative paths): `"always"`
   * (default) brings each back to its path on the client before the task is reported `done`;
   * `"never"` leaves them in the session's directory on the agent and reports their
   * fingerprints on the task's record (`ExecutionRecord.outputs`). Its inputs are always
   * uploaded (only those the agent lacks) and placed before it starts. See docs/agent.md.
   */
  stageOut?: "always" | "never";
  /**
   * The client and the agent share a filesystem: declared files are used in place, nothing is
   * staged, and commands run in their `cwd` as given. Default `false` (absolute paths are used
   * in place anyway).
   */
  sharedFilesystem?: boolean;
  /**
   * The client's directory that stands for the session's staging directory on the agent:
   * declared files and `cwd`s below it are staged at the same relative paths. Default: the
   * working directory of this process.
   */
  stagingRoot?: string;
}

/** `value`, checked to be a positive number (`name` is the option, for the message). */
export function positive(value: number, name: string): number {
  if (!(typeof value === "number" && value > 0 && Number.isFinite(value))) {
    throw new TypeError(`RemoteBackend: '${name}' must be a positive number, got ${value}`);
  }
  return value;
}

/** The client's timings in ms, by the one duration syntax; the old `…Ms` spellings with a notice. */
export function remoteTimings(
  o: RemoteBackendOptions,
): { heartbeat: number; sessionTimeout: number; unreachableAfter: number } {
  const read = (now: keyof RemoteBackendOptions, old: keyof RemoteBackendOptions, ms: number) => {
    if (o[old] !== undefined) {
      if (o[now] !== undefined) {
        throw new TypeError(
          `RemoteBackend: '${old}' and '${now}' say the same: give only '${now}'`,
        );
      }
      deprecated(
        `RemoteBackend: '${old}' is deprecated and will be removed: write '${now}' (the same ms, or a string such as "30s")`,
      );
    }
    return parseDuration(o[now] ?? o[old] ?? ms, now, "RemoteBackend");
  };
  return {
    heartbeat: read("heartbeat", "heartbeatMs", 5_000),
    sessionTimeout: read("sessionTimeout", "sessionTimeoutMs", 60_000),
    unreachableAfter: read("unreachableAfter", "unreachableMs", 30_000),
  };
}
