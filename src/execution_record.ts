import type { Resources } from "./options.ts";
import type { FileFingerprint } from "./task_files.ts";

/**
 * What a backend reports about one attempt of a task it ran: the command as run, where, by which
 * process, how it ended and where its output is. A backend gives it through
 * `BackendContext.ran` before the attempt's final report; the engine puts it on that attempt's
 * `done`, `failed` or `retried` event (`event.record`), so the trace holds it. Every field is
 * optional: a backend says what it knows. Output stays in files: a record holds paths and sizes,
 * never the bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type ExecutionRecord, WorkflowEngine } from "@asyncflow/asyncflow";
 * await using flow = await WorkflowEngine.create();
 * const records: ExecutionRecord[] = [];
 * flow.subscribe((e) => e.record && records.push(e.record));
 * await flow.executableTask(() => ["sh", "-c", "exit 0"])();
 * assert.deepEqual(records[0]!.command, ["sh", "-c", "exit 0"]);
 * assert.equal(records[0]!.exitCode, 0);
 * ```
 */
export interface ExecutionRecord {
  /** The command as run: a shell string (run by `/bin/sh -c`) or an argv array. */
  command?: string | readonly string[];
  /** The working directory it ran in, absolute. */
  cwd?: string;
  /** The variables the task added to the inherited environment (only those). */
  env?: Record<string, string>;
  /** The host it ran on. */
  host?: string;
  /** The process id of the command (or of the process that ran the function). */
  pid?: number;
  /** What the task asked for. */
  resources?: Resources;
  /** The exit code; absent when a signal ended the process or it never started. */
  exitCode?: number;
  /** The signal that ended the process (`SIGTERM`, …). */
  signal?: string;
  /** When it started, in ms since the epoch. */
  startedAt?: number;
  /** When it ended, in ms since the epoch. */
  endedAt?: number;
  /** The file holding its complete stdout, byte for byte. */
  stdoutPath?: string;
  /** The file holding its complete stderr. */
  stderrPath?: string;
  /** How many bytes it wrote to stdout. */
  stdoutBytes?: number;
  /** How many bytes it wrote to stderr. */
  stderrBytes?: number;
  /**
   * CPU time, user and system, of the command's process and of the children it waited for, in
   * ms (10 ms steps). Approximate: read while it runs and as it exits (Linux, `/proc`).
   */
  cpuMs?: number;
  /**
   * The peak of the command's resident memory, in KiB: the high-water mark of its own process
   * (a shell's children have their own), as last sampled while it ran (Linux, `/proc`).
   */
  maxRssKiB?: number;
  /**
   * The declared outputs as the backend found them after the command succeeded. A backend that
   * leaves outputs where the engine cannot read them (on an agent's filesystem) reports them
   * here; otherwise the engine reads them itself.
   */
  outputs?: readonly FileFingerprint[];
}
