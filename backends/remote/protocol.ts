/**
 * The wire format of the pilot agent's HTTP API, version 1, shared by the
 * agent (`agent/`) and its client ({@linkcode RemoteBackend}). Types only: the
 * client imports nothing from the agent's server code.
 *
 * @module
 */

/** The API version; every route starts with `/v1`. */
export const API_VERSION = 1;

/** What the agent knows about a task. */
export type WireState = "queued" | "running" | "done" | "failed" | "cancelled" | "lost";

/** The task's needs, as in the engine's `Resources`. */
export interface WireResources {
  ranks?: number;
  coresPerRank?: number;
  gpusPerRank?: number;
  memoryMb?: number;
}

/** A function task: an export of a module the agent was started with. */
export interface WireFunctionTask {
  id: string;
  kind: "function";
  name?: string;
  fn: { module: string; export: string };
  args: unknown[];
  priority?: number;
  resources?: WireResources;
}

/** A command: a shell string or an argv array. */
export interface WireExecutableTask {
  id: string;
  kind: "executable";
  name?: string;
  command: string | string[];
  cwd?: string;
  env?: Record<string, string>;
  captureOutput?: boolean;
  priority?: number;
  resources?: WireResources;
}

/** A task as sent in `POST /v1/sessions/{sid}/tasks`. */
export type WireTask = WireFunctionTask | WireExecutableTask;

/** The answer for one task of a batch, in the batch's order. */
export interface SubmitResult {
  id: string;
  status: "accepted" | "duplicate" | "rejected";
  error?: string;
}

/** An error, as carried by a `failed` or `lost` event. */
export interface WireError {
  name: string;
  message: string;
  stack?: string;
  command?: string | string[];
  exitCode?: number | null;
  signal?: string | null;
  stdout?: string;
  stderr?: string;
}

/**
 * One state change. `seq` counts the session's events from 1 without gaps.
 * A `done` event carries `value` inline when it is small; otherwise it says how
 * big the result (`resultBytes`, functions) or the standard output
 * (`stdoutBytes`, commands) is, and the client fetches it by offset.
 */
export interface WireEvent {
  seq: number;
  id: string;
  state: WireState;
  time: number;
  where?: string;
  value?: unknown;
  resultBytes?: number;
  stdoutBytes?: number;
  error?: WireError;
}

/** Every error response: `{ error: { code, message } }`. */
export interface WireProblem {
  error: { code: string; message: string };
}
