import type { Backend, BackendContext, TaskSpec } from "./backend.ts";
import { ExecutableError } from "./errors.ts";
import { now } from "./events.ts";
import type { ExecutionRecord } from "./execution_record.ts";
import { host, type ProcessOutcome, type RunningProcess } from "./host/mod.ts";
import { ReadyQueue } from "./ready_queue.ts";
import { Submission } from "./submission.ts";
import { callInTaskContext } from "./task_context.ts";
import { isThenable } from "./thenable.ts";

/**
 * Options of {@linkcode LocalBackend}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LocalBackend, type LocalBackendOptions, WorkflowEngine } from "@asyncflow/asyncflow";
 * const options: LocalBackendOptions = { name: "cpu", processes: 1 };
 * await using flow = await WorkflowEngine.create({ backend: new LocalBackend(options) });
 * const hi = flow.executableTask(() => ["echo", "hi"], { backend: "cpu" });
 * assert.equal(await hi(), "hi");
 * ```
 */
export interface LocalBackendOptions {
  /** The name tasks route to. Default `"default"`. */
  name?: string;
  /** How many commands run at once; the others wait, highest priority first. Default: the number of cores. */
  processes?: number;
  /** A command that prints more than this to memory is killed (use `captureOutput` for big outputs). Default 64 MiB. */
  maxOutputBytes?: number;
}

interface WaitingCommand {
  spec: TaskSpec;
  priority: number;
  seq: number;
}

/**
 * The embedded default backend. Function tasks run in this process, on the
 * event loop (async functions interleave; use the worker pool for CPU-bound
 * work). Executable tasks run as subprocesses, at most `processes` at once;
 * a cancelled or timed-out command is killed with its whole process group.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LocalBackend, WorkflowEngine } from "@asyncflow/asyncflow";
 * await using flow = await WorkflowEngine.create({ backend: new LocalBackend({ processes: 2 }) });
 * const answer = flow.executableTask(() => "echo $((6 * 7))");
 * assert.equal(await answer(), "42");
 * ```
 */
export class LocalBackend implements Backend {
  /** The name tasks route to. */
  readonly name: string;
  readonly #processLimit: number;
  readonly #maxOutputBytes: number;
  #ctx: BackendContext | undefined;
  readonly #waiting = new ReadyQueue<WaitingCommand>();
  readonly #withdrawn = new Set<string>();
  readonly #processes = new Map<string, RunningProcess>();
  #workDirReady: Promise<void> | undefined;
  #active = 0;
  /** Which process slots are taken: a command reports `process-<n>` so traces show lanes. */
  readonly #slots: boolean[] = [];
  #closed = false;

  /**
   * Creates the backend.
   *
   * @param options Name, process limit and output bound.
   * @throws {TypeError} When `processes` is not a positive integer.
   */
  constructor(options: LocalBackendOptions = {}) {
    this.name = options.name ?? "default";
    this.#processLimit = options.processes ?? host.cpuCount();
    if (!Number.isInteger(this.#processLimit) || this.#processLimit < 1) {
      throw new TypeError(
        `LocalBackend: 'processes' must be a positive integer, got ${options.processes}`,
      );
    }
    this.#maxOutputBytes = options.maxOutputBytes ?? 64 * 1024 * 1024;
  }

  /** Keeps the engine's report channel. */
  attach(ctx: BackendContext): void {
    this.#ctx = ctx;
  }

  /** Runs functions at once and starts (or queues) commands. */
  submit(tasks: readonly TaskSpec[]): void {
    for (const spec of tasks) {
      if (spec.kind === "function") this.#runFunction(spec);
      else this.#waiting.push({ spec, priority: spec.priority, seq: 0 });
    }
    this.#startCommands();
  }

  /**
   * Kills a running command or drops a waiting one. A running function is not
   * interrupted: the engine aborts its `taskContext().signal` and ignores its result.
   */
  cancel(id: string): void {
    const process = this.#processes.get(id);
    if (process) process.kill();
    else this.#withdrawn.add(id);
  }

  /** Kills every command and waits until they are gone. */
  async shutdown(): Promise<void> {
    this.#closed = true;
    const exits = [...this.#processes.values()].map((p) => {
      p.kill();
      return p.exited.catch(() => {});
    });
    while (this.#waiting.pop()) { /* drop what never started */ }
    await Promise.all(exits);
  }

  #runFunction(spec: TaskSpec): void {
    const ctx = this.#ctx!;
    const id = spec.id;
    ctx.running(id, "in-process");
    let result: unknown;
    try {
      // The engine's spec is the task's context: taskContext() in the function finds it.
      result = callInTaskContext(
        spec instanceof Submission ? spec : undefined,
        spec.fn!,
        spec.args,
      );
    } catch (error) {
      ctx.failed(id, error);
      return;
    }
    if (isThenable(result)) {
      result.then(
        (value) => ctx.done(id, value),
        (error) => ctx.failed(id, error),
      );
    } else {
      ctx.done(id, result);
    }
  }

  #startCommands(): void {
    while (this.#active < this.#processLimit && !this.#closed) {
      const next = this.#waiting.pop();
      if (next === undefined) return;
      if (this.#withdrawn.delete(next.spec.id)) continue;
      this.#runCommand(next.spec);
    }
  }

  async #runCommand(spec: TaskSpec): Promise<void> {
    const ctx = this.#ctx!;
    const id = spec.id;
    const file = spec.id.replace("#", ".attempt");
    const base = `${ctx.workDir}/${file}`;
    // A recorded run keeps every command's outputs, byte for byte, in its output directory.
    const copy = ctx.outputDir !== undefined && !spec.captureOutput
      ? `${ctx.outputDir}/${file}`
      : undefined;
    let process: RunningProcess | undefined;
    let startedAt = 0;
    this.#active++;
    let slot = this.#slots.indexOf(false);
    if (slot < 0) slot = this.#slots.length;
    this.#slots[slot] = true;
    try {
      if (spec.captureOutput) {
        await (this.#workDirReady ??= host.mkdir(ctx.workDir));
        if (this.#withdrawn.delete(id) || this.#closed) return;
      }
      process = host.spawn({
        command: spec.command!,
        ...(spec.cwd !== undefined ? { cwd: spec.cwd } : {}),
        ...(spec.env !== undefined ? { env: spec.env } : {}),
        ...(spec.captureOutput
          ? { stdoutPath: `${base}.stdout`, stderrPath: `${base}.stderr` }
          : {}),
        ...(copy ? { copyStdoutPath: `${copy}.stdout`, copyStderrPath: `${copy}.stderr` } : {}),
        maxBufferBytes: this.#maxOutputBytes,
      });
      startedAt = now();
      this.#processes.set(id, process);
      ctx.running(id, `process-${slot + 1}`);
      const outcome = await process.exited;
      ctx.ran?.(
        id,
        recordOf(
          spec,
          process.pid,
          startedAt,
          outcome,
          copy ?? (spec.captureOutput ? base : undefined),
        ),
      );
      if (outcome.exitCode === 0) {
        ctx.done(id, resultOf(spec, outcome, base));
      } else ctx.failed(id, new ExecutableError(spec.command!, outcome));
    } catch (error) {
      // It could not start, or printed too much: what is known of it still goes on the record.
      if (startedAt > 0) ctx.ran?.(id, recordOf(spec, process?.pid, startedAt, undefined, copy));
      ctx.failed(id, error);
    } finally {
      this.#active--;
      this.#slots[slot] = false;
      if (process) this.#processes.delete(id);
      this.#startCommands();
    }
  }
}

/** What a successful command resolves to: its stdout, both streams, or the stdout file's path. */
function resultOf(spec: TaskSpec, outcome: ProcessOutcome, base: string): unknown {
  if (spec.captureOutput) return `${base}.stdout`;
  if (spec.result === "output") return { stdout: outcome.stdout, stderr: outcome.stderr };
  return outcome.stdout;
}

/**
 * The record of a command: what ran, where and how it ended. `files` is the path of its output
 * files without `.stdout`/`.stderr`, when they were kept.
 */
function recordOf(
  spec: TaskSpec,
  pid: number | undefined,
  startedAt: number,
  outcome: ProcessOutcome | undefined,
  files: string | undefined,
): ExecutionRecord {
  const record: ExecutionRecord = {
    command: spec.command!,
    cwd: spec.cwd === undefined ? host.cwd() : resolvePath(spec.cwd),
    host: host.hostname(),
    startedAt,
    endedAt: now(),
  };
  if (spec.env !== undefined) record.env = spec.env;
  if (pid !== undefined) record.pid = pid;
  if (spec.resources !== undefined) record.resources = spec.resources;
  if (outcome) {
    if (outcome.exitCode !== null) record.exitCode = outcome.exitCode;
    if (outcome.signal !== null) record.signal = outcome.signal;
  }
  if (files !== undefined) {
    record.stdoutPath = `${files}.stdout`;
    record.stderrPath = `${files}.stderr`;
  }
  if (outcome?.stdoutBytes !== undefined) record.stdoutBytes = outcome.stdoutBytes;
  if (outcome?.stderrBytes !== undefined) record.stderrBytes = outcome.stderrBytes;
  return record;
}

/** `cwd` made absolute against the current directory (no `node:path` in the core). */
function resolvePath(cwd: string): string {
  return cwd.startsWith("/") ? cwd : `${host.cwd()}/${cwd}`;
}
