/**
 * The agent's log: what it does (sessions, tasks, restarts, faults) as one line each, in a file
 * of its directory and, for warnings and errors, on stderr.
 *
 * @module
 */
import { closeSync, fstatSync, openSync, renameSync, writeSync } from "node:fs";
import process from "node:process";

/** How much the agent says: each level includes the ones before it. */
export type LogLevel = "error" | "warn" | "info" | "debug";

/** The levels, least verbose first. */
export const LOG_LEVELS: readonly LogLevel[] = ["error", "warn", "info", "debug"];

/** A value of a log line's field; a longer text is cut, so a line stays bounded. */
export type LogValue = string | number | boolean | null | undefined | readonly string[];

/** Options of {@linkcode AgentLog}. */
export interface AgentLogOptions {
  /** The file (appended to). Default: none, stderr only. */
  file?: string;
  /** The most verbose level written. Default `info`. */
  level?: LogLevel;
  /** The file is rotated (to `FILE.1`, replacing it) beyond this size. Default 16 MiB. */
  maxBytes?: number;
  /** Where warnings and errors also go. Default: the process's stderr. */
  stderr?: (line: string) => void;
}

const MAX_FIELD = 1000;

/**
 * The agent's log. Lines are `TIME LEVEL message key=value …`; values are quoted when they hold
 * spaces and cut at 1,000 characters. Lines are written once per turn of the event loop (errors
 * at once); the file is rotated beyond `maxBytes`, so it holds at most twice that. Writing never
 * throws: a log that cannot be written (a full disk) is said once on stderr. Callers pass no
 * secret: no token, no environment values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readFileSync } from "node:fs";
 * import { AgentLog } from "./agent_log.ts";
 * const file = `${Deno.makeTempDirSync()}/agent.log`;
 * const log = new AgentLog({ file, level: "info", stderr: () => {} });
 * log.info("task started", { id: "t1", pid: 42, command: "echo hi" });
 * log.debug("not written at info");
 * log.close();
 * assert.match(readFileSync(file, "utf8"), /^\S+ info task started id=t1 pid=42 command="echo hi"\n$/);
 * ```
 */
export class AgentLog {
  readonly #file: string | undefined;
  readonly #rank: number;
  readonly #maxBytes: number;
  readonly #stderr: (line: string) => void;
  #fd: number | undefined;
  #size = 0;
  #pending: string[] = [];
  #scheduled = false;
  #broken = false;

  constructor(options: AgentLogOptions = {}) {
    this.#file = options.file;
    this.#rank = LOG_LEVELS.indexOf(options.level ?? "info");
    if (this.#rank < 0) {
      throw new TypeError(
        `'level' must be one of ${LOG_LEVELS.join(", ")}, got '${options.level}'`,
      );
    }
    this.#maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
    this.#stderr = options.stderr ?? ((line) => process.stderr.write(line));
    if (this.#file !== undefined) this.#open();
  }

  /** Whether lines of `level` are written (to skip building costly fields). */
  enabled(level: LogLevel): boolean {
    return LOG_LEVELS.indexOf(level) <= this.#rank;
  }

  /** Something failed. */
  error(message: string, fields?: Record<string, LogValue>): void {
    this.#line(0, "error", message, fields);
  }

  /** Something went wrong that the agent worked around. */
  warn(message: string, fields?: Record<string, LogValue>): void {
    this.#line(1, "warn", message, fields);
  }

  /** What the agent does: sessions, tasks, restarts. */
  info(message: string, fields?: Record<string, LogValue>): void {
    this.#line(2, "info", message, fields);
  }

  /** Details: each task of a batch. */
  debug(message: string, fields?: Record<string, LogValue>): void {
    this.#line(3, "debug", message, fields);
  }

  /** Writes what is buffered. */
  flush(): void {
    this.#scheduled = false;
    if (this.#pending.length === 0 || this.#fd === undefined) return;
    const text = this.#pending.join("");
    this.#pending = [];
    try {
      if (this.#size > 0 && this.#size + text.length > this.#maxBytes) this.#rotate();
      this.#size += writeSync(this.#fd, text);
    } catch (error) {
      this.#fail(error);
    }
  }

  /** Writes what is buffered and closes the file. */
  close(): void {
    this.flush();
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  #line(rank: number, level: LogLevel, message: string, fields?: Record<string, LogValue>): void {
    if (rank > this.#rank) return;
    let body = message;
    for (const key in fields) {
      const value = fields[key];
      if (value !== undefined) body += ` ${key}=${format(value)}`;
    }
    if (rank <= 1) this.#stderr(`asyncflow agent: ${level}: ${body}\n`);
    if (this.#fd === undefined) return;
    this.#pending.push(`${new Date().toISOString()} ${level} ${body}\n`);
    if (rank === 0) this.flush();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  #open(): void {
    try {
      this.#fd = openSync(this.#file!, "a", 0o600);
      this.#size = fstatSync(this.#fd).size;
    } catch (error) {
      this.#fail(error);
    }
  }

  #rotate(): void {
    closeSync(this.#fd!);
    this.#fd = undefined;
    renameSync(this.#file!, `${this.#file}.1`);
    this.#open();
    this.#size = 0;
  }

  #fail(error: unknown): void {
    if (this.#broken) return;
    this.#broken = true; // said once, not once per line
    this.#stderr(
      `asyncflow agent: error: cannot write the log ${this.#file}: ${(error as Error).message}\n`,
    );
  }
}

function format(value: Exclude<LogValue, undefined>): string {
  let text = Array.isArray(value) ? JSON.stringify(value) : String(value);
  if (text.length > MAX_FIELD) text = `${text.slice(0, MAX_FIELD)}…(${text.length} chars)`;
  return /[\s"=]/.test(text) || text === "" ? JSON.stringify(text) : text;
}
