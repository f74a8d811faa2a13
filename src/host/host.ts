/**
 * What the engine needs from the runtime beyond web standards: processes,
 * files, the number of cores and async context. One interface; two
 * implementations — one on the `node:` built-ins (Deno, Bun, Node), one on
 * web standards only (browsers, workerd) — picked once in `mod.ts`.
 *
 * @module
 */
import type { Runtime } from "./runtime.ts";

/** How to start a process. */
export interface ProcessRequest {
  /** A string runs through `/bin/sh -c`; an array is argv, run without a shell. */
  command: string | readonly string[];
  /** Working directory. */
  cwd?: string;
  /** Variables added to the inherited environment. */
  env?: Record<string, string>;
  /** Write stdout here instead of keeping it in memory. */
  stdoutPath?: string;
  /** Write stderr here instead of keeping it in memory. */
  stderrPath?: string;
  /**
   * Also write stdout here, byte for byte, while keeping it in memory (ignored with
   * `stdoutPath`): the run's record of a command whose value is its output.
   */
  copyStdoutPath?: string;
  /** Also write stderr here while keeping it in memory (ignored with `stderrPath`). */
  copyStderrPath?: string;
  /** Kill the process when it prints more than this many bytes to memory. */
  maxBufferBytes?: number;
  /** Measure its CPU time and peak memory, where the host can (`ProcessOutcome.usage`). */
  measureUsage?: boolean;
  /**
   * Called once with its pid when it is known: within {@linkcode Host.spawn}, or a moment after
   * {@linkcode Host.launch} returned (when the launcher reports it, before the process's end).
   * Not called when it could not start.
   */
  onStart?: (pid: number) => void;
}

/** What a process used, as far as the host could see (see `proc_usage.ts`). */
export interface ProcessUsage {
  /** CPU time, user and system, of the process and the children it waited for, in ms. */
  cpuMs?: number;
  /** The peak of its resident memory (the high-water mark of the process itself), in KiB. */
  maxRssKiB?: number;
}

/** How a process ended. */
export interface ProcessOutcome {
  /** The exit code, or `null` when a signal ended it. */
  exitCode: number | null;
  /** The signal that ended it, or `null`. */
  signal: string | null;
  /** Its standard output (empty when written to a file). */
  stdout: string;
  /** Its standard error (the last 4 KiB when written to a file). */
  stderr: string;
  /** How many bytes it wrote to stdout, when the host counts. */
  stdoutBytes?: number;
  /** How many bytes it wrote to stderr, when the host counts. */
  stderrBytes?: number;
  /** What it used, when asked for (`measureUsage`) and the host can tell. */
  usage?: ProcessUsage;
}

/** A process that was started. */
export interface RunningProcess {
  /** The process id (through {@linkcode Host.launch}, once the launcher has started it). */
  readonly pid: number | undefined;
  /** Settles when the process has exited; rejects when it could not start. */
  readonly exited: Promise<ProcessOutcome>;
  /** Ends the process and everything it started (its process group). */
  kill(): void;
}

/** A value that follows the asynchronous flow of calls, like a thread-local for async code. */
export interface ContextStorage<T> {
  /**
   * Whether the value follows `fn` across its awaits. Without async context
   * (browsers, workerd without `nodejs_compat`) it holds only while `fn` runs
   * synchronously: code after an `await` sees `undefined`.
   */
  readonly tracksAwaits: boolean;
  /** Runs `fn` with `store` as the current value, for `fn` and everything it awaits. */
  run<R>(store: T, fn: () => R): R;
  /** The current value, or `undefined` outside `run`. */
  get(): T | undefined;
}

/** What a file is now, as far as comparing it cheaply goes. */
export interface FileStat {
  /** Its size in bytes. */
  size: number;
  /** Its modification time, ms since the epoch. */
  mtimeMs: number;
  /** Whether it is a directory (its content is not hashed). */
  directory: boolean;
}

/** The runtime services the core uses. */
export interface Host {
  /** The runtime (see `runtime.ts`). */
  readonly runtime: Runtime;
  /** Starts a process; on a runtime that cannot, throws an error that says what to use instead. */
  spawn(request: ProcessRequest): RunningProcess;
  /**
   * Starts a process as {@linkcode Host.spawn} does, through a long-lived launcher process where
   * the host has one (several times faster on Node and Deno: see `launcher.ts`). Its `pid` is
   * known a moment later (read it once it runs, or after `exited`); a `kill()` before then waits
   * for it.
   */
  launch(request: ProcessRequest): RunningProcess;
  /** Whether this host has a file system (declared files can be checked). */
  readonly hasFiles: boolean;
  /**
   * What the file at `path` is now, or `undefined` when nothing is there.
   *
   * @throws When it cannot be looked at (no permission), or the host has no files.
   */
  fileStat(path: string): Promise<FileStat | undefined>;
  /** The SHA-256 of the file's content, 64 lowercase hex digits, read as a stream. */
  sha256File(path: string): Promise<string>;
  /** Creates a directory and its parents. */
  mkdir(path: string): Promise<void>;
  /** The number of cores available to this process. */
  cpuCount(): number;
  /** The current working directory. */
  cwd(): string;
  /** This machine's host name. */
  hostname(): string;
  /** Makes an async-context storage. */
  contextStorage<T>(): ContextStorage<T>;
}
