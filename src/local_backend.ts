import type { Backend, BackendContext, TaskSpec } from "./backend.ts";
import { ExecutableError } from "./errors.ts";
import { now } from "./events.ts";
import type { ExecutionRecord } from "./execution_record.ts";
import { host, type ProcessOutcome, type RunningProcess } from "./host/mod.ts";
import { type Grant, MachineSlots, needOf } from "./machine_slots.ts";
import { ReadyQueue } from "./ready_queue.ts";
import { Submission } from "./submission.ts";
import { callInTaskContext } from "./task_context.ts";
import { isThenable } from "./thenable.ts";
import { withTraceEnv } from "./trace_context.ts";
import { integerAtLeast, optionalOfType, positiveInteger } from "./validate.ts";

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
  /**
   * The directory commands run in, and the one a relative task `cwd` is
   * relative to. Default: the process's current directory when the backend is
   * made (for `asyncflow run`, the directory it was started in).
   */
  cwd?: string;
  /**
   * The cores commands share: a command takes `ranks × coresPerRank` of them
   * (one without `resources`). Default: this machine's (`availableParallelism`).
   */
  cores?: number;
  /** The GPUs commands share, by index: a command takes `ranks × gpusPerRank`. Default 0. */
  gpus?: number;
  /**
   * How many commands run at once, whatever their size: a cap on processes,
   * on top of cores and GPUs. Default: `cores`.
   */
  processes?: number;
  /** A command that prints more than this to memory is killed (use `captureOutput` for big outputs). Default 64 MiB. */
  maxOutputBytes?: number;
  /**
   * Measure each command's CPU time and peak memory (`cpuMs`, `maxRssKiB` in its
   * {@linkcode ExecutionRecord}; Linux only, approximate: see `docs/runs.md`). Default: when the
   * run is recorded (`EngineOptions.record`), so an unrecorded run pays nothing for it.
   */
  measureUsage?: boolean;
  /**
   * Start commands through one long-lived launcher process rather than by a spawn of this runtime
   * each: the same processes, groups, exit codes, signals and output. The launcher is a small C
   * program built once into the user's cache where the machine has a C compiler, else a small
   * Perl program where it has `/usr/bin/perl`; on Deno, only when every run and env permission
   * is granted. `ASYNCFLOW_LAUNCHER=compiled` or `perl` insists on one. Default: on Node and
   * Deno, whose spawns fork the whole runtime (Node) or do to start a new session (Deno) — there
   * the compiled launcher measured 1.6× (Deno) and 9.5× (Node) a spawn each —, not on Bun, whose
   * own spawn is as fast. Where there is no launcher, commands are spawned directly.
   */
  launcher?: boolean;
}

interface WaitingCommand {
  spec: TaskSpec;
  priority: number;
  seq: number;
}

/**
 * The embedded default backend. Function tasks run in this process, on the
 * event loop (async functions interleave; use the worker pool for CPU-bound
 * work) and take no cores. Executable tasks run as subprocesses, by their
 * `resources` against the machine, as the agent places them on its nodes: a
 * command starts when its `ranks × coresPerRank` cores, its `ranks ×
 * gpusPerRank` GPUs and one of the `processes` slots are free, in priority
 * order (a big command that waits is not overtaken by small ones). It is
 * started once — launching its ranks, e.g. with `mpiexec`, is the command's
 * own business — with `OMP_NUM_THREADS` set to `coresPerRank` and
 * `CUDA_VISIBLE_DEVICES` to its GPUs when it gives `resources` (its own `env`
 * wins). A command that asks for more than the machine has fails at once.
 * `memoryMb` is not checked locally. A cancelled or timed-out command is
 * killed with its whole process group.
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
  readonly #machine: MachineSlots;
  readonly #cwd: string;
  readonly #maxOutputBytes: number;
  readonly #measureUsage: boolean | undefined;
  readonly #launcher: boolean;
  #ctx: BackendContext | undefined;
  readonly #waiting = new ReadyQueue<WaitingCommand>();
  /** The first waiting command, out of the queue because it does not fit yet. */
  #blocked: WaitingCommand | undefined;
  readonly #withdrawn = new Set<string>();
  readonly #processes = new Map<string, RunningProcess>();
  #workDirReady: Promise<void> | undefined;
  /** Which process slots are taken: a command reports `process-<n>` so traces show lanes. */
  readonly #slots: boolean[] = [];
  #closed = false;

  /**
   * Creates the backend.
   *
   * @param options Name, cores, GPUs, process cap, output bound and resource measurement.
   * @throws {TypeError} When `cores`, `processes` or `maxOutputBytes` is not a
   *   positive integer, `gpus` not an integer >= 0, or `measureUsage` not a boolean.
   */
  constructor(options: LocalBackendOptions = {}) {
    this.name = options.name ?? "default";
    const where = "LocalBackend";
    optionalOfType(options.cwd, "string", "cwd", where);
    this.#cwd = inDirectory(host.cwd(), options.cwd);
    const cores = positiveInteger(options.cores ?? host.cpuCount(), "cores", where);
    this.#machine = new MachineSlots({
      cores,
      gpus: integerAtLeast(options.gpus ?? 0, 0, "gpus", where),
      processes: positiveInteger(options.processes ?? cores, "processes", where),
    });
    this.#maxOutputBytes = positiveInteger(
      options.maxOutputBytes ?? 64 * 1024 * 1024,
      "maxOutputBytes",
      where,
    );
    optionalOfType(options.measureUsage, "boolean", "measureUsage", where);
    this.#measureUsage = options.measureUsage;
    optionalOfType(options.launcher, "boolean", "launcher", where);
    this.#launcher = options.launcher ?? host.runtime !== "bun";
  }

  /** Keeps the engine's report channel. */
  attach(ctx: BackendContext): void {
    this.#ctx = ctx;
  }

  /** Runs functions at once and starts (or queues) commands. */
  submit(tasks: readonly TaskSpec[]): void {
    for (const spec of tasks) {
      if (spec.kind === "function") this.#runFunction(spec);
      else if (spec.resources !== undefined && this.#tooBig(spec)) continue;
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
    this.#blocked = undefined;
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

  /** Fails a command that can never fit this machine; `true` when it did. */
  #tooBig(spec: TaskSpec): boolean {
    const why = this.#machine.tooBig(needOf(spec));
    if (why === undefined) return false;
    const r = spec.resources!;
    this.#ctx!.failed(
      spec.id,
      new RangeError(
        `'${spec.name}' (${spec.uid}) asks for ${why} (resources ${JSON.stringify(r)}; ` +
          `LocalBackend '${this.name}': ${this.#machine.cores} cores, ${this.#machine.gpus} GPUs): ` +
          `ask for less, give the LocalBackend more ({ cores, gpus }), or route it to a backend that has them`,
      ),
    );
    return true;
  }

  #startCommands(): void {
    while (!this.#closed) {
      const next = this.#blocked ?? this.#waiting.pop();
      this.#blocked = undefined;
      if (next === undefined) return;
      if (this.#withdrawn.delete(next.spec.id)) continue;
      const grant = this.#machine.take(needOf(next.spec));
      if (grant === undefined) {
        this.#blocked = next; // strict order: a big command is not starved by small ones
        return;
      }
      this.#runCommand(next.spec, grant);
    }
  }

  async #runCommand(spec: TaskSpec, grant: Grant): Promise<void> {
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
    const cwd = inDirectory(this.#cwd, spec.cwd);
    let slot = this.#slots.indexOf(false);
    if (slot < 0) slot = this.#slots.length;
    this.#slots[slot] = true;
    try {
      if (spec.captureOutput) {
        await (this.#workDirReady ??= host.mkdir(ctx.workDir));
        if (this.#withdrawn.delete(id) || this.#closed) return;
      }
      const env = withTraceEnv(spec.env, ctx.traceContext?.(spec));
      process = (this.#launcher ? host.launch : host.spawn)({
        command: spec.command!,
        cwd,
        ...(env !== undefined || spec.resources !== undefined
          ? { env: placementEnv(spec, grant, env) }
          : {}),
        ...(spec.captureOutput
          ? { stdoutPath: `${base}.stdout`, stderrPath: `${base}.stderr` }
          : {}),
        ...(copy ? { copyStdoutPath: `${copy}.stdout`, copyStderrPath: `${copy}.stderr` } : {}),
        maxBufferBytes: this.#maxOutputBytes,
        ...(this.#measureUsage ?? ctx.outputDir !== undefined ? { measureUsage: true } : {}),
      });
      startedAt = now();
      this.#processes.set(id, process);
      ctx.running(id, `process-${slot + 1}`);
      const outcome = await process.exited;
      ctx.ran?.(
        id,
        recordOf(
          spec,
          cwd,
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
      if (startedAt > 0) {
        ctx.ran?.(id, recordOf(spec, cwd, process?.pid, startedAt, undefined, copy));
      }
      ctx.failed(id, error);
    } finally {
      this.#machine.release(grant);
      this.#slots[slot] = false;
      if (process) this.#processes.delete(id);
      // On a fresh stack: a command that fails as it starts, before any await, would otherwise
      // start the next one inside this call, and a long queue of them would overflow the stack.
      queueMicrotask(() => this.#startCommands());
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
  cwd: string,
  pid: number | undefined,
  startedAt: number,
  outcome: ProcessOutcome | undefined,
  files: string | undefined,
): ExecutionRecord {
  const record: ExecutionRecord = {
    command: spec.command!,
    cwd,
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
  if (outcome?.usage?.cpuMs !== undefined) record.cpuMs = outcome.usage.cpuMs;
  if (outcome?.usage?.maxRssKiB !== undefined) record.maxRssKiB = outcome.usage.maxRssKiB;
  return record;
}

/**
 * The command's environment: its own `env` (with its trace context) over what its placement sets,
 * as the agent's fork does.
 */
function placementEnv(
  spec: TaskSpec,
  grant: Grant,
  env: Record<string, string> | undefined,
): Record<string, string> {
  if (spec.resources === undefined) return env!;
  const placed: Record<string, string> = {
    OMP_NUM_THREADS: String(spec.resources.coresPerRank ?? 1),
  };
  if (grant.gpuIds.length > 0) placed.CUDA_VISIBLE_DEVICES = grant.gpuIds.join(",");
  return { ...placed, ...env };
}

/** `path` inside `base` when relative (`"."` and `".."` left to the system), as is when absolute. */
function inDirectory(base: string, path: string | undefined): string {
  if (path === undefined || path === "" || path === ".") return base;
  return path.startsWith("/") ? path : `${base.replace(/\/+$/, "")}/${path}`;
}
