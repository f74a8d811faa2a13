/**
 * The options of {@linkcode RemoteBackend}.
 *
 * @module
 */
import type { TaskModule } from "./addressing.ts";

/**
 * Options of {@linkcode RemoteBackend}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { RemoteBackendOptions } from "@asyncflow/asyncflow/remote";
 * const o: RemoteBackendOptions = { url: "http://127.0.0.1:8080", token: "…", unreachableMs: 10_000 };
 * assert.equal(o.unreachableMs, 10_000);
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
  /** How often to send a heartbeat, in ms. Default 5 000. */
  heartbeatMs?: number;
  /** After how long without a heartbeat the agent cancels the session's tasks, in ms. Default 60 000. */
  sessionTimeoutMs?: number;
  /** After how long without any answer from the agent the tasks in flight fail, in ms. Default 30 000. */
  unreachableMs?: number;
  /** Most tasks per request. Default 4 096 (the agent's limit). */
  maxBatch?: number;
  /** `sse` (default) or `poll` (long polling, for proxies that break streaming). */
  transport?: "sse" | "poll";
}

/** `value`, checked to be a positive number (`name` is the option, for the message). */
export function positive(value: number, name: string): number {
  if (!(typeof value === "number" && value > 0 && Number.isFinite(value))) {
    throw new TypeError(`RemoteBackend: '${name}' must be a positive number, got ${value}`);
  }
  return value;
}
