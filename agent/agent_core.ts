import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { hostname } from "node:os";
import type { SubmitResult, WireState, WireTask } from "../protocol/v1.ts";
import type { Backend } from "../src/backend.ts";
import { AgentLog } from "./agent_log.ts";
import { takeBatch } from "./batch_intake.ts";
import { ExecRunner, type Reporter } from "./exec_runner.ts";
import { inStagingDir } from "./file_paths.ts";
import type { NodeExecutors } from "./executor/node_executors.ts";
import { functionResult } from "./function_result.ts";
import { FunctionRunner, type ModuleTable } from "./function_runner.ts";
import { Journal, JournalWriteError } from "./journal.ts";
import { replayJournal, type ReplayTarget } from "./journal_replay.ts";
import type { Allocation } from "./placement/allocation.ts";
import type { LaunchMethod } from "./placement/launch.ts";
import { SlotScheduler } from "./placement/scheduler.ts";
import { PilotLifetime, type WalltimeOptions } from "./pilot/pilot_lifetime.ts";
import type { AllocationClock } from "./pilot/walltime.ts";
import { identifyStarted } from "./process_identity.ts";
import { unhandledRejections } from "./rejections.ts";
import {
  type AgentTask,
  type EventDetail,
  type FinishedTask,
  isFinal,
  Session,
  type TaskRecord,
  withTraceCarriers,
} from "./session.ts";
import { SessionDeadlines } from "./session_deadlines.ts";
import { logBatch, logTaskChange } from "./task_log_lines.ts";

/** What the core needs; `startAgent` fills in the defaults. */
export interface CoreOptions {
  dir: string;
  allocation: Allocation;
  launch: LaunchMethod;
  modules: ModuleTable;
  functionBackend: Backend;
  retainEvents: number;
  /** Bytes of event JSON kept in memory per session. */
  retainEventBytes?: number;
  /** An expired session is forgotten (memory, files, journal) this long after its deadline. */
  forgetExpiredAfterMs: number;
  /** Node executors for single-rank commands; without them every command goes through `launch`. */
  executors?: NodeExecutors;
  /**
   * Start the commands of this node through the host's launcher (`Host.launch`) rather than a
   * spawn each. Default: on Node and Deno, not on Bun (as `LocalBackend`'s `launcher`).
   */
  launcher?: boolean;
  /**
   * Function tasks are placed by the scheduler on every node's cores, as commands are, and run
   * on the Workers of their node's executor (which must have been started with the modules),
   * instead of on `functionBackend` on the agent's node only.
   */
  functionsOnNodes?: boolean;
  /**
   * The allocation's end: refuse what cannot fit, drain, cut (see `pilot/walltime.ts`); with
   * `refresh`, the end is asked for again as the job runs (`pilot/walltime_refresh.ts`).
   */
  walltime?: WalltimeOptions;
  /**
   * The journal is compacted (closed sessions dropped, finished tasks checkpointed) whenever it
   * has grown by this much. Default 64 MiB.
   */
  journalCompactBytes?: number;
  /** What the agent does is said here. Default: warnings and errors on stderr. */
  log?: AgentLog;
}

const REAP_EVERY_MS = 250;
const HOST = hostname();

/**
 * The agent without HTTP: sessions, the journal, the two runners and the
 * reaper of sessions whose client vanished. Every state change goes through
 * {@linkcode Session.emit}, so the event log, the journal and the task
 * records never disagree.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AgentCore } from "./agent_core.ts";
 * assert.ok(typeof AgentCore.create === "function");
 * ```
 */
export class AgentCore {
  readonly sessions: Map<string, Session> = new Map();
  readonly allocation: Allocation;
  readonly launch: LaunchMethod;
  readonly started: number = Date.now();
  readonly #opts: CoreOptions;
  readonly #log: AgentLog;
  readonly #journal: Journal;
  readonly #scheduler: SlotScheduler;
  readonly #exec: ExecRunner;
  readonly #functions: FunctionRunner;
  readonly #lifetime: PilotLifetime;
  readonly #reaper: ReturnType<typeof setInterval>;
  readonly #deadlines: SessionDeadlines;
  readonly #counts: Record<WireState, number> = {
    queued: 0,
    running: 0,
    done: 0,
    failed: 0,
    cancelled: 0,
    lost: 0,
  };
  #nextN = 1;
  #closed = false;

  private constructor(opts: CoreOptions, journal: Journal, log: AgentLog) {
    this.#opts = opts;
    this.#log = log;
    this.allocation = opts.allocation;
    this.launch = opts.launch;
    this.#journal = journal;
    this.#scheduler = new SlotScheduler(opts.allocation);
    const report: Reporter = {
      running: (rec, where) => {
        // A function on a node's executor comes with its record; the agent's own pool runs here.
        if (rec.task.kind === "function") rec.run ??= { host: HOST, startedAt: Date.now() };
        this.#emit(rec as AgentTask, "running", { where });
      },
      finished: (rec, state, detail, listed) =>
        this.#finished(rec as AgentTask, state, detail, listed),
      started: (rec, pid) => {
        // With what tells this process from a later one under the same pid: a restart kills
        // only on a match.
        const who = identifyStarted(pid);
        this.#journal.append(
          JSON.stringify({ t: "pid", sid: (rec as AgentTask).session.id, id: rec.id, ...who }),
        );
        // At once, not on the next flush: if the agent dies before a buffered pid reaches the
        // disk, its restart cannot kill the command it leaves behind.
        this.#journal.flush();
      },
    };
    const lifetime = new PilotLifetime({
      allocation: opts.allocation,
      ...(opts.walltime ? { walltime: opts.walltime } : {}),
      log,
      endUnfinished: (upTo, error) => this.#endUnfinished(upTo, error),
      endJob: (error) => this.endJob(error),
    });
    this.#lifetime = lifetime;
    // A declared walltime is checked again when the task leaves the queue: time passed there.
    const late = (rec: TaskRecord) => lifetime.late(rec.id, declaredWalltime(rec));
    this.#exec = new ExecRunner(
      this.#scheduler,
      opts.launch,
      report,
      log,
      opts.executors,
      late,
      lifetime.job,
      opts.launcher,
    );
    // A lost node takes no more work; its tasks fail with NodeLostError, for retries elsewhere.
    opts.executors?.onLost((node, error) => {
      // When the job ends, the executors end too: that is no news.
      if (lifetime.ended) log.info("node executor ended", { node, error: error.message });
      else log.error("node lost", { node, error: error.message });
      this.#scheduler.disable(node);
    });
    this.#functions = new FunctionRunner(opts.functionBackend, opts.modules, report);
    this.#deadlines = new SessionDeadlines(REAP_EVERY_MS, opts.forgetExpiredAfterMs);
    this.#reaper = setInterval(() => this.#reap(), REAP_EVERY_MS);
  }

  /**
   * Opens the journal in `opts.dir`, replays it (sessions come back with a
   * fresh heartbeat deadline; tasks that were running become `lost`, and
   * their process groups are killed), attaches the function backend and
   * starts the tasks that had been accepted but not started.
   */
  static async create(opts: CoreOptions): Promise<AgentCore> {
    mkdirSync(`${opts.dir}/sessions`, { recursive: true });
    const log = opts.log ?? new AgentLog();
    const { journal, records } = Journal.open(`${opts.dir}/journal.jsonl`, log);
    const core = new AgentCore(opts, journal, log);
    try {
      const waiting = replayJournal(records, core.#replayTarget());
      await core.#functions.attach(`${opts.dir}/functions`);
      for (const rec of waiting) core.#run(rec);
      if (records.length > 0) {
        log.info("restart recovery", {
          sessions: core.sessions.size,
          requeued: waiting.length,
          lost: core.#counts.lost,
          journalRecords: records.length,
        });
      }
    } catch (error) {
      await core.close();
      throw error;
    }
    return core;
  }

  /**
   * Opens a session, journaled before it is answered.
   *
   * @throws {JournalWriteError} When the journal cannot be written: no session is opened.
   */
  openSession(client: string, heartbeatTimeoutMs: number): Session {
    const sid = randomBytes(16).toString("hex");
    const dir = `${this.#opts.dir}/sessions/${sid}`;
    try {
      mkdirSync(dir, { recursive: true });
    } catch (error) {
      throw new JournalWriteError(dir, error);
    }
    try {
      this.#journal.commit([
        JSON.stringify({ t: "open", sid, client, hb: heartbeatTimeoutMs, at: Date.now() }),
      ]);
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
    this.#log.info("session opened", { session: sid, client, heartbeatTimeoutMs });
    return this.#newSession(sid, client, heartbeatTimeoutMs);
  }

  /** Cancels a session's unfinished tasks, ends its streams and forgets it. */
  closeSession(session: Session, why = "its session was closed"): void {
    this.#stopAll(session, why);
    session.state = "closed";
    session.log.close();
    this.sessions.delete(session.id);
    this.#journal.append(`{"t":"close","sid":"${session.id}"}`);
    // Flushes, and compacts once the file has grown.
    this.#journal.compactIfGrown(this.#opts.journalCompactBytes);
    this.#log.info("session closed", { session: session.id, why, tasks: session.tasks.size });
    // Only once its commands are gone: one still exiting writes its outputs there.
    const dir = `${this.#opts.dir}/sessions/${session.id}`;
    const gone = [...session.tasks.values()].flatMap((rec) => rec.gone ?? []);
    void Promise.allSettled(gone).then(() => {
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch (error) {
        this.#log.error("cannot remove a session's directory", {
          dir,
          error: (error as Error).message,
        });
      }
    });
  }

  /**
   * Accepts a batch: each task is checked on its own; a task id the session
   * already has is a duplicate and is not run again. The accepted tasks are
   * journaled in one whole write before any of them is recorded or run, so a
   * batch is all or nothing. O(n).
   *
   * @throws {JournalWriteError} When the journal cannot be written: nothing of the batch is
   * recorded, and a retry of the same request is safe.
   */
  submit(session: Session, tasks: readonly unknown[]): SubmitResult[] {
    const { results, lines, accepted } = takeBatch(
      session.id,
      tasks,
      (id) => session.tasks.has(id),
      (task) => this.#functions.problem(task),
      () => this.#nextN++,
    );
    // Durable before recorded, run or acknowledged: a retried request then finds the tasks.
    this.#journal.commit(lines);
    logBatch(this.#log, session, results, accepted.length);
    const recs = accepted.map(({ task, n }) => this.#record(session, task, n));
    for (const rec of recs) this.#run(rec);
    return results;
  }

  /** Cancels one task; its final state arrives on the stream. */
  cancel(rec: TaskRecord, why = "cancelled by its client"): void {
    if (isFinal(rec.state)) return;
    rec.stop?.();
    this.#emit(rec as AgentTask, "cancelled", {
      ...rec.run,
      error: { name: "CancelledError", message: why },
    });
  }

  /** The file of a task's stdout, stderr or large result. */
  outputPath(rec: TaskRecord, which: "stdout" | "stderr" | "result"): string {
    return `${(rec as AgentTask).files}.${which === "result" ? "result.json" : which}`;
  }

  /**
   * The pilot's job ends under the agent (Slurm's SIGTERM, see `pilot/job_end.ts`): every
   * unfinished task of every session is cancelled with `error(id)`, and so is any task that
   * arrives from now on; then the sessions' event logs close, so that each open stream sends
   * what is left and ends. Not charged to the tasks' retries; another pilot can run them.
   */
  endJob(error: (id: string) => Error): void {
    if (!this.#lifetime.begin(error)) return;
    this.#endUnfinished("running", error);
    for (const session of this.sessions.values()) session.log.close();
  }

  /**
   * Asks Slurm for the allocation's end now (`POST /v1/walltime/refresh`), and moves the drain
   * and the cut with it.
   *
   * @returns The walltime as `/v1/metrics` shows it, or `null` when the agent follows no end.
   */
  async refreshWalltime(): Promise<ReturnType<AllocationClock["metrics"]> | null> {
    return await this.#lifetime.refreshNow();
  }

  /** Counters for `/v1/metrics`. */
  metrics(): Record<string, unknown> {
    return {
      uptimeMs: Date.now() - this.started,
      sessions: this.sessions.size,
      tasks: { ...this.#counts },
      commands: { running: this.#exec.running, waiting: this.#exec.waiting },
      // On the nodes, function calls count among the commands (they share their queue).
      functions: { active: this.#functions.active, onNodes: this.#opts.functionsOnNodes === true },
      free: this.#scheduler.free,
      lostNodes: this.#scheduler.disabled,
      walltime: this.#lifetime.metrics(),
      unhandledRejections: unhandledRejections(),
      journal: { ok: this.#journal.failure === undefined, error: this.#journal.failure ?? null },
    };
  }

  /** Stops the reaper, kills every command, stops the function backend and closes the journal. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#reaper);
    this.#lifetime.close();
    for (const session of this.sessions.values()) session.log.close();
    await Promise.allSettled([this.#exec.shutdown(), this.#functions.shutdown()]);
    await this.#opts.executors?.close();
    this.#journal.close();
  }

  #newSession(sid: string, client: string, hb: number): Session {
    const session = new Session(
      sid,
      client,
      hb,
      this.#opts.retainEvents,
      (line) => this.#journal.append(line),
      this.#opts.retainEventBytes,
    );
    this.sessions.set(sid, session);
    return session;
  }

  /** Hands an accepted task to its runner. */
  #run(rec: AgentTask): void {
    const refused = this.#lifetime.refusal(rec.id, declaredWalltime(rec));
    if (refused) {
      this.#emit(rec, refused.state, {
        error: { name: refused.error.name, message: refused.error.message },
      });
      return;
    }
    if (rec.task.kind === "function" && !this.#opts.functionsOnNodes) this.#functions.submit(rec);
    else this.#exec.submit(rec, rec.files);
  }

  #record(session: Session, task: WireTask | FinishedTask, n: number): AgentTask {
    const rec: AgentTask = {
      id: task.id,
      n,
      task: withTraceCarriers(inStagingDir(task, this.#opts.dir, session.id)),
      state: "queued",
      session,
      files: `${this.#opts.dir}/sessions/${session.id}/${n}`,
    };
    session.tasks.set(task.id, rec);
    this.#counts.queued++;
    return rec;
  }

  #emit(rec: AgentTask, state: WireState, detail: EventDetail, listed?: EventDetail): void {
    const before = rec.state;
    if (rec.session.emit(rec, state, detail, listed)) {
      this.#counts[before]--;
      this.#counts[state]++;
      logTaskChange(this.#log, rec, state, detail);
    }
  }

  #finished(
    rec: AgentTask,
    state: "done" | "failed" | "cancelled",
    detail: EventDetail,
    listed?: EventDetail,
  ): void {
    if (isFinal(rec.state)) return;
    if (state === "done" && rec.task.kind === "function") {
      const result = functionResult(rec.id, detail.value, this.outputPath(rec, "result"));
      if ("error" in result) {
        state = "failed";
        detail = { error: result.error };
      } else ({ detail, listed } = result);
    }
    if (rec.run !== undefined) {
      if (rec.task.kind === "function") rec.run.endedAt = Date.now();
      // The record of the run travels with the final event, and stays in the task's listing.
      detail = { ...rec.run, ...detail };
      if (listed) listed = { ...rec.run, ...listed };
    }
    this.#emit(rec, state, detail, listed);
  }

  /**
   * Ends the unfinished tasks of every session that are `queued` (at the drain) or also those
   * `running` (at the cut, or when the job ends) as `cancelled`, with the error of the pilot's
   * end (a WalltimeError, a PilotEndedError), not the task's failure, so the client's retry
   * budget is not charged.
   */
  #endUnfinished(upTo: "queued" | "running", error: (id: string) => Error): void {
    for (const session of this.sessions.values()) {
      for (const rec of session.tasks.values()) {
        if (isFinal(rec.state) || (upTo === "queued" && rec.state !== "queued")) continue;
        const e = error(rec.id);
        rec.stop?.();
        this.#emit(rec as AgentTask, "cancelled", { error: { name: e.name, message: e.message } });
      }
    }
  }

  #stopAll(session: Session, why: string): void {
    for (const rec of session.tasks.values()) {
      if (!isFinal(rec.state)) this.cancel(rec, why);
      rec.terminate?.(); // what a finished command left running goes too
    }
  }

  #reap(): void {
    // Live sessions' finished tasks are checkpointed too: a session's journal follows what it
    // still needs, not its history (a cheap size check when nothing is due).
    this.#journal.compactIfGrown(this.#opts.journalCompactBytes);
    this.#deadlines.check(this.sessions.values(), Date.now(), {
      expire: (session) => {
        session.state = "expired";
        const why = `no heartbeat for ${session.heartbeatTimeoutMs} ms`;
        this.#log.warn("session expired", { session: session.id, client: session.client, why });
        this.#stopAll(session, `session ${session.id} expired: ${why}`);
        session.log.close();
      },
      forget: (session) => this.closeSession(session, "its session expired"),
    });
  }

  /** The core as the journal's replay rebuilds it. */
  #replayTarget(): ReplayTarget {
    return {
      dir: this.#opts.dir,
      log: this.#log,
      sessions: this.sessions,
      openSession: (sid, client, hb) => void this.#newSession(sid, client, hb),
      acceptTask: (session, task, n) => {
        this.#record(session, task, n);
        this.#nextN = Math.max(this.#nextN, n + 1);
      },
      replayEvent: (session, rec, json, state, seq) => {
        const before = rec.state;
        if (session.replay(rec, json, state, seq)) {
          this.#counts[before]--;
          this.#counts[state]++;
        }
      },
      lose: (rec, error) => this.#emit(rec, "lost", { error }),
    };
  }
}

/** The run time a task declared (`resources.walltimeMs`); a checkpointed task keeps none. */
function declaredWalltime(rec: TaskRecord): number | undefined {
  return "resources" in rec.task ? rec.task.resources?.walltimeMs : undefined;
}
