/**
 * Where the CLI writes, so tests can drive `main()` in-process and read what
 * it printed. The default writes to the process's stdout and stderr.
 *
 * @module
 */
import process from "node:process";

/** The output streams of a command. */
export interface CliIo {
  /** Writes to standard output (results: JSON, graphs). */
  out(text: string): void;
  /** Writes to standard error (progress, logs, errors). */
  err(text: string): void;
  /** Whether standard error is a terminal (a live progress line instead of log lines). */
  errIsTTY: boolean;
  /** The terminal's width in columns, when it is one. */
  columns?: number;
}

/**
 * The process's own streams.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { processIo } from "./io.ts";
 * assert.equal(typeof processIo().errIsTTY, "boolean");
 * ```
 */
export function processIo(): CliIo {
  // Bound now: `run --json` sends the workflow's own writes to stdout elsewhere, not the summary.
  const write = process.stdout.write.bind(process.stdout);
  const io: CliIo = {
    out: (text) => void write(text),
    err: (text) => void process.stderr.write(text),
    errIsTTY: process.stderr.isTTY === true,
  };
  if (process.stderr.columns) io.columns = process.stderr.columns;
  return io;
}

/**
 * An in-memory {@linkcode CliIo} that keeps what was written (for tests).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { memoryIo } from "./io.ts";
 * const io = memoryIo();
 * io.out("hi");
 * assert.equal(io.stdout, "hi");
 * ```
 */
export function memoryIo(errIsTTY = false): CliIo & { stdout: string; stderr: string } {
  const io = {
    stdout: "",
    stderr: "",
    errIsTTY,
    columns: 100,
    out(text: string) {
      io.stdout += text;
    },
    err(text: string) {
      io.stderr += text;
    },
  };
  return io;
}
