import { Buffer } from "node:buffer";
import { statSync, writeFileSync } from "node:fs";
import nodeProcess from "node:process";
import type { WireExecutableTask, WireFunctionTask, WireRunRecord } from "../protocol/v1.ts";
import type { AgentLog } from "./agent_log.ts";
import { host, type ProcessOutcome, type RunningProcess } from "../src/host/mod.ts";
import { ReadyQueue } from "../src/ready_queue.ts";
import type { LaunchMethod } from "./placement/launch.ts";
import { launchCommand } from "./placement/launch.ts";
import type { Placement, SlotScheduler } from "./placement/scheduler.ts";
import type { NodeExecutors } from "./executor/node_executors.ts";
import { stepNodeLoss } from "./executor/step_node_loss.ts";
import { PilotEndedError } from "./pilot/job_end.ts";
import { ProcessGroup } from "./process_group.ts";
import { TASK_MARKER } from "./task_marker.ts";
import { errorToWire } from "./wire_error.ts";
import type { EventDetail, TaskRecord } from "./session.ts";

/** How a runner tells the agent about a task. */
export interface Reporter {
  running(rec: TaskRecord, where: string): void;
  /**
   * The task ended: `done` with its detail, `failed` with an error, or `cancelled` with the
   * error of the pilot's end; `listed` is what its record keeps instead (an output by reference).
   */
  finished(
    rec: TaskRecord,
    state: "done" | "failed" | "cancelled",
    detail: EventDetail,
    listed?: EventDetail,
  ): void;
  /** The process group of a started command, for the journal. */
  started?(rec: TaskRecord, pid: number): void;
}

/** A command or a function call under way: what shutdown stops and waits for. */
type Running = { kill(): void; readonly exited: Promise<unknown> };

interface Waiting {
  rec: TaskRecord;
  files: string;
  priority: number;
  seq: number;
}

/** Results and outputs up to this size travel inside events. */
export const INLINE_BYTES = 64 * 1024;
/** An inline output or result larger than this is kept by reference in the task's record. */
export const LISTED_BYTES = 4 * 1024;
/** A command that prints more than this (stdout or stderr) is killed. */
const MAX_OUTPUT_BYTES = 256 * 1024 * 1024;
/** A command longer than this is recorded cut (its task line in the journal holds it whole). */
const MAX_RECORDED_COMMAND = 4096;

/**
 * Runs commands: waits for a placement from the slot scheduler (highest
 * priority first, in arrival order), starts the command through the launch
 * method, writes its stdout and stderr to files named after the task's
 * number, and frees the slots when the process has exited. With node
 * executors that run functions, function tasks wait in the same queue and
 * run on the Workers of the node they are placed on.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ExecRunner } from "./exec_runner.ts";
 * assert.ok(typeof ExecRunner === "function");
 * ```
 */
export class ExecRunner {
  readonly #scheduler: SlotScheduler;
  readonly #method: LaunchMethod;
  readonly #report: Reporter;
  readonly #queue = new ReadyQueue<Waiting>();
  #blocked: Waiting | undefined;
  readonly #running = new Map<Running, ProcessGroup | undefined>();
  #closed = false;

  readonly #executors: NodeExecutors | undefined;
  /** Why a task may not start now (its declared walltime no longer fits), checked at its start. */
  readonly #refusal: ((rec: TaskRecord) => Error | undefined) | undefined;
  readonly #log: AgentLog;
  /** Whether commands of this node start through the host's launcher (`Host.launch`). */
  readonly #launcher: boolean;
  /**
   * In a Slurm job: whether it is ending now (asked when a command dies of a signal), and how
   * the agent ends its tasks for it.
   */
  readonly #job: { ending: () => Promise<boolean>; end: () => void } | undefined;

  constructor(
    scheduler: SlotScheduler,
    method: LaunchMethod,
    report: Reporter,
    log: AgentLog,
    executors?: NodeExecutors,
    refusal?: (rec: TaskRecord) => Error | undefined,
    job?: { ending: () => Promise<boolean>; end: () => void },
    launcher = host.runtime !== "bun",
  ) {
    this.#launcher = launcher;
    this.#job = job;
    this.#executors = executors;
    this.#refusal = refusal;
    this.#log = log;
    this.#scheduler = scheduler;
    this.#method = method;
    this.#report = report;
  }

  /** How many commands wait for slots. */
  get waiting(): number {
    return this.#queue.size + (this.#blocked ? 1 : 0);
  }

  /** How many commands (and function calls on the nodes) run. */
  get running(): number {
    return this.#running.size;
  }

  /**
   * Queues a command, or a function task to run on its node's executor. `files` is the path
   * prefix of a command's output files (`…/{n}` gives `{n}.stdout` and `{n}.stderr`).
   */
  submit(rec: TaskRecord, files: string): void {
    const task = rec.task as WireExecutableTask | WireFunctionTask;
    try {
      // A request that can never fit fails now rather than waiting forever.
      const trial = this.#scheduler.place(placementRequest(task));
      if (trial) this.#scheduler.release(trial);
    } catch (error) {
      this.#report.finished(rec, "failed", { error: errorToWire(error) });
      return;
    }
    const item: Waiting = { rec, files, priority: task.priority ?? 0, seq: 0 };
    rec.stop = () => {
      item.rec.stop = undefined; // withdrawn: skipped when it comes out of the queue
    };
    this.#queue.push(item);
    this.#pump();
  }

  /** Kills every command, and what each started, and waits until they are gone. */
  async shutdown(): Promise<void> {
    this.#closed = true;
    const exits = [...this.#running].map(async ([p, group]) => {
      p.kill();
      group?.terminate();
      await p.exited.catch(() => {});
      await group?.empty();
    });
    await Promise.all(exits);
  }

  #pump(): void {
    while (!this.#closed) {
      const next = this.#blocked ?? this.#queue.pop();
      this.#blocked = undefined;
      if (next === undefined) return;
      if (next.rec.stop === undefined) continue; // cancelled while waiting
      const refused = this.#refusal?.(next.rec);
      if (refused) {
        this.#report.finished(next.rec, "failed", {
          error: { name: refused.name, message: refused.message },
        });
        continue;
      }
      let placement: Placement | undefined;
      try {
        placement = this.#scheduler.place(placementRequest(next.rec.task as WireExecutableTask));
      } catch (error) {
        // It fitted when it came, but nodes were lost since: it never will.
        this.#report.finished(next.rec, "failed", { error: errorToWire(error) });
        continue;
      }
      if (placement === undefined) {
        this.#blocked = next; // strict order: a big task is not starved by small ones
        return;
      }
      this.#start(next, placement);
    }
  }

  #start(item: Waiting, placement: Placement): void {
    if (item.rec.task.kind === "function") return this.#call(item.rec, placement);
    const { rec, files } = item;
    const task = rec.task as WireExecutableTask;
    let process: RunningProcess;
    let asRun: string | readonly string[] = task.command;
    // A launched command's pid comes a moment after its start (before its end): what needs it
    // waits for it here.
    let pidCame: ((pid: number) => void) | undefined;
    let onNode: RunningProcess | undefined;
    try {
      // A single-rank command goes to its node's executor when there are executors.
      onNode = this.#executors?.launch(
        placement,
        task.command,
        task.env,
        task.cwd,
        MAX_OUTPUT_BYTES,
      );
      // The executor's node checks its own directory; here only what runs on this node.
      if (!onNode && task.cwd !== undefined) checkCwd(task.cwd);
      const launch = onNode ? undefined : launchCommand(this.#method, placement, task.command);
      if (launch) asRun = launch.argv;
      process = onNode ?? (this.#launcher ? host.launch : host.spawn)({
        command: launch!.argv,
        // The mark lets a restarted agent find this command even if it died before the pid
        // reached the journal (task_marker.ts).
        env: { ...task.env, ...launch!.env, [TASK_MARKER]: files },
        ...(task.cwd !== undefined ? { cwd: task.cwd } : {}),
        maxBufferBytes: MAX_OUTPUT_BYTES,
        // Forked here, the command's processes are this host's children, as a recorded local
        // run's; under srun they run under slurmstepd elsewhere, and the figures would be srun's.
        measureUsage: this.#method === "fork",
        onStart: (pid) => pidCame?.(pid),
      });
    } catch (error) {
      this.#scheduler.release(placement);
      this.#report.finished(rec, "failed", { error: errorToWire(error) });
      return;
    }
    // The group outlives the shell when the command leaves processes behind: they are reached
    // through it, and hold the command's slots until the group is empty.
    let group: ProcessGroup | undefined;
    let terminated = false;
    this.#running.set(process, group);
    const terminate = () => {
      terminated = true;
      process.kill(); // before its pid came, it is killed when the pid comes
      group?.terminate();
    };
    rec.stop = terminate;
    rec.terminate = terminate;
    const nodes = [...new Set(placement.ranks.map((p) => p.node))].join(",");
    const run: WireRunRecord = {
      command: recorded(asRun),
      cwd: task.cwd ?? nodeProcess.cwd(),
      host: nodes,
      startedAt: Date.now(),
    };
    rec.run = run;
    // `running` goes out with the pid, and right before it is journaled: the pid's immediate
    // flush then writes the event with it, so a restart never finds a command's pid without its
    // `running` (the event would go missing). Until then the task is `queued` in the journal: an
    // agent that dies before a launched command's pid came has a restart run it again when no
    // process carries its mark (the launcher never forked it), or end what does and call it lost.
    const known = (pid: number) => {
      group = new ProcessGroup(pid);
      this.#running.set(process, group);
      if (terminated) group.terminate(); // what it left behind gets the SIGKILL after the grace
      run.pid = pid;
      this.#report.running(rec, nodes); // ignored when cancelled meanwhile: it is final
      this.#report.started?.(rec, pid);
    };
    if (process.pid !== undefined) known(process.pid);
    else if (onNode) this.#report.running(rec, nodes); // its pid is that of another node
    else pidCame = known;
    // Nothing here may throw into nowhere: whatever goes wrong fails this task, is logged, and
    // the slots come back.
    rec.gone = process.exited
      .then(
        (outcome) => this.#exited(rec, files, task, outcome, placement),
        (error) => this.#report.finished(rec, "failed", { error: errorToWire(error) }),
      )
      .catch((error) => this.#unexpected(rec, error))
      .then(() => group?.empty())
      .then(() => {
        rec.terminate = undefined;
        this.#release(process, placement);
      })
      .catch((error) => this.#log.error("cannot free slots", { id: rec.id, error: String(error) }));
  }

  /** A function task on its node's Workers: reported as the agent's own pool reports it. */
  #call(rec: TaskRecord, placement: Placement): void {
    const node = placement.ranks[0]!.node;
    const call = this.#executors?.call(placement, rec.task as WireFunctionTask);
    if (call === undefined) {
      this.#scheduler.release(placement);
      const why = `node ${node} has no executor to run function tasks`;
      this.#report.finished(rec, "failed", { error: { name: "Error", message: why } });
      return;
    }
    this.#running.set(call, undefined);
    rec.stop = () => call.kill();
    rec.run = { host: node, startedAt: Date.now() };
    this.#report.running(rec, node);
    rec.gone = call.exited
      .then(
        (o) =>
          o.ok
            ? this.#report.finished(rec, "done", { value: o.value })
            : this.#report.finished(rec, "failed", { error: o.error }),
        (error) => this.#report.finished(rec, "failed", { error: errorToWire(error) }),
      )
      .catch((error) => this.#unexpected(rec, error))
      .then(() => this.#release(call, placement))
      .catch((error) => this.#log.error("cannot free slots", { id: rec.id, error: String(error) }));
  }

  async #exited(
    rec: TaskRecord,
    files: string,
    task: WireExecutableTask,
    outcome: ProcessOutcome,
    placement: Placement,
  ): Promise<void> {
    // Outputs stay in memory while the command runs (files cost more than the command for
    // short tasks); they are written only when not empty, for ranged reads.
    const out = Buffer.from(outcome.stdout);
    const run: WireRunRecord = Object.assign(rec.run ?? {}, {
      exitCode: outcome.exitCode,
      signal: outcome.signal,
      endedAt: Date.now(),
      stdoutBytes: out.length,
      stderrBytes: Buffer.byteLength(outcome.stderr),
      ...outcome.usage,
    });
    rec.run = run;
    if (out.length > 0 || task.captureOutput) writeOutput(`${files}.stdout`, out);
    if (outcome.stderr.length > 0) writeOutput(`${files}.stderr`, outcome.stderr);
    if (rec.stop === undefined) return; // cancelled: already reported
    if (await this.#endedWithJob(outcome)) {
      // Slurm's SIGTERM of the job reached the command before the agent heard its own: the agent
      // ends the job's tasks now (this one too), and starts nothing more.
      this.#job!.end();
      const e = new PilotEndedError(rec.id, nodeProcess.env.SLURM_JOB_ID, "SIGTERM");
      this.#report.finished(rec, "cancelled", { error: { name: e.name, message: e.message } });
      return;
    }
    if (outcome.exitCode === 0) {
      if (task.captureOutput) this.#report.finished(rec, "done", { value: `${files}.stdout` });
      else if (out.length > INLINE_BYTES) {
        this.#report.finished(rec, "done", { stdoutBytes: out.length });
      } else {
        // Inline on the stream; by reference (its file) in the task's record.
        const listed = out.length > LISTED_BYTES ? { stdoutBytes: out.length } : undefined;
        this.#report.finished(rec, "done", { value: outcome.stdout }, listed);
      }
      return;
    }
    const nodes = [...new Set(placement.ranks.map((p) => p.node))];
    const lost = stepNodeLoss(outcome, nodes, this.#scheduler.disabled);
    if (lost !== undefined) {
      if (!this.#scheduler.disabled.includes(lost.node)) {
        console.error(`asyncflow agent: ${lost.message}`);
        this.#scheduler.disable(lost.node);
      }
      this.#report.finished(rec, "failed", { error: errorToWire(lost) });
      return;
    }
    this.#report.finished(rec, "failed", {
      error: {
        name: "ExecutableError",
        message: `Command exited with ${outcome.signal ?? `code ${outcome.exitCode}`}`,
        command: task.command,
        exitCode: outcome.exitCode,
        signal: outcome.signal,
        stdout: out.length > INLINE_BYTES
          ? out.subarray(out.length - INLINE_BYTES).toString()
          : outcome.stdout,
        stderr: outcome.stderr.slice(-INLINE_BYTES),
      },
    });
  }

  /**
   * Whether a command that the agent did not stop died with the job: killed by a signal (or srun
   * saying so with 137 or 143) while Slurm says the job ends. Only then is Slurm asked.
   */
  async #endedWithJob(outcome: ProcessOutcome): Promise<boolean> {
    const killed = outcome.signal === "SIGTERM" || outcome.signal === "SIGKILL" ||
      outcome.exitCode === 143 || outcome.exitCode === 137;
    return killed && this.#job !== undefined && await this.#job.ending();
  }

  /** An error no one expected while finishing a task: it fails that task and is logged. */
  #unexpected(rec: TaskRecord, error: unknown): void {
    const message = (error as Error)?.message ?? String(error);
    this.#log.error("a task failed in the agent", { id: rec.id, n: rec.n, error: message });
    try {
      this.#report.finished(rec, "failed", { error: errorToWire(error) });
    } catch (again) {
      this.#log.error("cannot report the failure of a task", {
        id: rec.id,
        error: (again as Error).message,
      });
    }
  }

  #release(process: Running, placement: Placement): void {
    this.#running.delete(process);
    this.#scheduler.release(placement);
    this.#pump();
  }
}

/** What the scheduler is asked for a task. */
function placementRequest(
  task: WireExecutableTask | WireFunctionTask,
): { ranks: number; coresPerRank: number; gpusPerRank: number } {
  const r = task.resources ?? {};
  if (task.kind === "function" && (r.ranks ?? 1) !== 1) {
    throw new RangeError(
      `a function task runs as one call on one node: 'ranks' must be 1, got ${r.ranks}; ` +
        "ask for cores with 'coresPerRank' instead",
    );
  }
  return {
    ranks: r.ranks ?? 1,
    coresPerRank: r.coresPerRank ?? 1,
    gpusPerRank: r.gpusPerRank ?? 0,
  };
}

/** The command for the task's record: whole when short, else a string cut at the bound. */
function recorded(command: string | readonly string[]): string | string[] {
  const text = typeof command === "string" ? command : command.join(" ");
  if (text.length > MAX_RECORDED_COMMAND) return `${text.slice(0, MAX_RECORDED_COMMAND)}…`;
  return typeof command === "string" ? command : [...command];
}

/** A missing working directory is named as such, not blamed on `/bin/sh` or `setsid`. */
function checkCwd(cwd: string): void {
  let isDir = false;
  try {
    isDir = statSync(cwd).isDirectory();
  } catch { /* missing or unreadable */ }
  if (!isDir) {
    throw new Error(
      `the working directory '${cwd}' does not exist on the agent's machine (or is not a directory)`,
    );
  }
}

/** Writes a command's output file, or throws an error that says which file and what to do. */
function writeOutput(path: string, data: string | Uint8Array): void {
  try {
    writeFileSync(path, data);
  } catch (error) {
    const code = (error as { code?: string }).code;
    const hint = code === "ENOSPC" || code === "EDQUOT"
      ? "; free space on the agent's disk (or start it with --dir on a larger one)"
      : "";
    throw new Error(
      `the agent cannot write the command's output to ${path}: ${(error as Error).message}${hint}`,
      { cause: error },
    );
  }
}
