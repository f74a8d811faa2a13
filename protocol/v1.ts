/**
 * The wire format of the pilot agent's HTTP API, version 1: what `asyncflow agent` and its client
 * (`RemoteBackend`, from `@asyncflow/asyncflow/remote`) send each other,
 * published on purpose for those who write their own client or agent. Both sides import it from
 * here; it holds types and the version only. A change that breaks any of these shapes makes a
 * `/v2`.
 *
 * Routes (all under `/v1`, all with `Authorization: Bearer <token>`): `POST /sessions`,
 * `DELETE /sessions/{sid}`, `POST /sessions/{sid}/heartbeat`, `POST /sessions/{sid}/tasks`
 * (a batch of {@linkcode WireTask}, answered by {@linkcode SubmitResult}s), `GET
 * /sessions/{sid}/events` (Server-Sent Events of {@linkcode WireEvent}, resumed by
 * `Last-Event-ID` or `?after=`), `GET /sessions/{sid}/tasks`, `POST
 * /sessions/{sid}/tasks/{id}/cancel`, results and outputs by offset, the files of staged
 * commands (`HEAD|PUT /sessions/{sid}/blobs/{sha256}`, `POST /sessions/{sid}/files`, `GET
 * /sessions/{sid}/files?path=`, `POST /sessions/{sid}/files/fingerprints`), `GET /health`, `GET
 * /metrics`. Every error answer is a {@linkcode WireProblem}. See `docs/agent.md`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { API_VERSION, type WireTask } from "@asyncflow/asyncflow/protocol";
 * const task: WireTask = { id: "t1", kind: "executable", command: ["echo", "hi"] };
 * const body = JSON.stringify({ tasks: [task] }); // POST /v1/sessions/{sid}/tasks
 * assert.equal(API_VERSION, 1);
 * assert.deepEqual(JSON.parse(body).tasks[0].command, ["echo", "hi"]);
 * ```
 *
 * @module
 */

/** The API version; every route starts with `/v1`. */
export const API_VERSION = 1;

/**
 * A request with this header (any value) reads a session without counting as its client's
 * heartbeat: an observer (`asyncflow dashboard --agent`) does not keep a vanished client's
 * session alive.
 */
export const OBSERVER_HEADER = "x-asyncflow-observer";

/** What the agent knows about a task: `lost` when the agent died while it ran. */
export type WireState = "queued" | "running" | "done" | "failed" | "cancelled" | "lost";

/** The task's needs, as in the engine's `Resources`. */
export interface WireResources {
  /** Processes (MPI ranks). Default 1. */
  ranks?: number;
  /** Cores of each rank. Default 1. */
  coresPerRank?: number;
  /** GPUs of each rank. Default 0. */
  gpusPerRank?: number;
  /** Memory of the whole task, in MiB. */
  memoryMb?: number;
  /** How long the task is expected to run, in ms: the agent refuses it when its allocation ends sooner. */
  walltimeMs?: number;
}

/** A function task: an export of a module the agent was started with. */
export interface WireFunctionTask {
  /** The client's id for the task, unique in its session: a retried submit is a `duplicate`. */
  id: string;
  /** A function task. */
  kind: "function";
  /** A readable name, for the agent's log and listing. */
  name?: string;
  /** Which function: the agent's module name (`--module name=path`) and the export's name. */
  fn: { module: string; export: string };
  /** The arguments, as JSON. */
  args: unknown[];
  /** Higher runs first when tasks wait for room. Default 0. */
  priority?: number;
  /** What the task needs. */
  resources?: WireResources;
  /** The W3C `traceparent` of the client's span for this attempt: see {@linkcode WireTraceContext}. */
  traceparent?: string;
  /** The W3C `tracestate` that goes with it. */
  tracestate?: string;
}

/** A command: a shell string or an argv array. */
export interface WireExecutableTask {
  /** The client's id for the task, unique in its session: a retried submit is a `duplicate`. */
  id: string;
  /** A command. */
  kind: "executable";
  /** A readable name, for the agent's log and listing. */
  name?: string;
  /** A string is run by `/bin/sh -c`; an array is the argv, run without a shell. */
  command: string | string[];
  /** The working directory on the agent's node(s). Default: the agent's. */
  cwd?: string;
  /** Variables added to the agent's environment. */
  env?: Record<string, string>;
  /** Keep stdout in a file and answer with its path instead of the text. */
  captureOutput?: boolean;
  /**
   * Run in the session's staging directory, where `POST …/files` placed the task's inputs and
   * where `GET …/files` reads its outputs; `cwd`, when given, is then a relative path inside it.
   */
  staged?: boolean;
  /** Higher runs first when tasks wait for room. Default 0. */
  priority?: number;
  /** What the task needs: the agent places it on cores and GPUs of its nodes. */
  resources?: WireResources;
  /** The W3C `traceparent` of the client's span for this attempt: see {@linkcode WireTraceContext}. */
  traceparent?: string;
  /** The W3C `tracestate` that goes with it. */
  tracestate?: string;
}

/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) of a task attempt: a client that
 * traces its run sends, with each task, the `traceparent` of its span for the attempt
 * (`00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`, lower case) and its `tracestate`
 * (at most 512 characters). The agent keeps them on the task and puts them on each of its
 * events, so whoever turns the agent's events into spans parents them under the client's.
 */
export interface WireTraceContext {
  /** `00-<trace id>-<parent span id>-<flags>`. */
  traceparent?: string;
  /** Vendor data, as the client sent it. */
  tracestate?: string;
}

/** A task as sent in `POST /v1/sessions/{sid}/tasks`. */
export type WireTask = WireFunctionTask | WireExecutableTask;

/** The answer for one task of a batch, in the batch's order. */
export interface SubmitResult {
  /** The task's id, as sent. */
  id: string;
  /** Taken; already taken before (a retried submit: not run twice); or refused (see `error`). */
  status: "accepted" | "duplicate" | "rejected";
  /** Why it was refused. */
  error?: string;
}

/** An error, as carried by a `failed` or `lost` event. */
export interface WireError {
  /** The error's name: `ExecutableError`, `TypeError`, `NodeLostError`, … */
  name: string;
  /** What went wrong. */
  message: string;
  /** The stack, for a function's error. */
  stack?: string;
  /** For a command: what ran. */
  command?: string | string[];
  /** For a command: its exit code, or `null` when a signal ended it. */
  exitCode?: number | null;
  /** For a command: the signal that ended it, or `null`. */
  signal?: string | null;
  /** For a command: the end of its standard output. */
  stdout?: string;
  /** For a command: the end of its standard error. */
  stderr?: string;
}

/**
 * What the agent recorded of a task's run, carried on its final event (`done`, `failed`,
 * `cancelled`). Every field is optional: a function task has no `command`, `pid` or outputs, a
 * task that never started has none of them, and an agent of an earlier release sends none.
 */
export interface WireRunRecord {
  /**
   * The command as the agent ran it: the launcher's argv (`srun …`, `mpiexec …`, or the
   * argv of `/bin/sh -c` for a shell string). Longer than 4,096 characters, a string cut there.
   */
  command?: string | string[];
  /** The working directory it ran in, on its node. */
  cwd?: string;
  /** The node(s) it ran on, comma-separated; for a function, the agent's host. */
  host?: string;
  /** The process (group) id of the command on its node, when the agent started it itself. */
  pid?: number;
  /** A command's exit code, or `null` when a signal ended it. */
  exitCode?: number | null;
  /** The signal that ended a command (`SIGKILL`, …), or `null`. */
  signal?: string | null;
  /** When it started running, in ms since the Unix epoch. */
  startedAt?: number;
  /** When it ended, in ms since the Unix epoch. */
  endedAt?: number;
  /**
   * The size of a command's standard output, in bytes. On `done` without `value` it is too big
   * to send inline: fetch it from `GET …/tasks/{id}/stdout` by offset.
   */
  stdoutBytes?: number;
  /** The size of a command's standard error, in bytes (`GET …/tasks/{id}/stderr`). */
  stderrBytes?: number;
  /**
   * A command's CPU time (user + system) in ms, summed over its process tree on its node, where
   * the agent can measure it (Linux `/proc`); for a function on a Worker, that Worker's CPU time
   * while it ran, where the runtime exposes it.
   */
  cpuMs?: number;
  /** A command's peak resident memory (the sum of its processes' high-water marks), in KiB. */
  maxRssKiB?: number;
}

/**
 * One state change. `seq` counts the session's events from 1 without gaps.
 * A `done` event carries `value` inline when it is small; otherwise it says how
 * big the result (`resultBytes`, functions) or the standard output
 * (`stdoutBytes`, commands) is, and the client fetches it by offset. A final
 * event also carries the agent's {@linkcode WireRunRecord} of the run.
 */
export interface WireEvent extends WireRunRecord, WireTraceContext {
  /** The event's number in its session, from 1, without gaps: the stream's cursor. */
  seq: number;
  /** The task's id. */
  id: string;
  /** The task's new state. */
  state: WireState;
  /** When, in ms since the Unix epoch. */
  time: number;
  /** Where it runs (node names), on `running`. */
  where?: string;
  /** The result (functions) or the standard output (commands), on `done`, when small. */
  value?: unknown;
  /** The size of a result too big to send inline, on `done`. */
  resultBytes?: number;
  /** What went wrong, on `failed` and `lost`. */
  error?: WireError;
}

/** Every error response: `{ error: { code, message } }`. */
export interface WireProblem {
  /** A stable `code` (`unauthorized`, `insufficient_storage`, `cursor_ahead`, …) and a message. */
  error: { code: string; message: string };
}
