import type { Backend, BackendContext, TaskSpec } from "../src/backend.ts";
import type { WireFunctionTask } from "../protocol/v1.ts";
import type { Reporter } from "./exec_runner.ts";
import { errorToWire } from "./wire_error.ts";
import type { TaskRecord } from "./session.ts";

/** The functions the agent may call: module name → export name → function. */
export type ModuleTable = Map<string, Record<string, unknown>>;

/**
 * Runs function tasks through any asyncflow {@linkcode Backend} (the
 * in-process `LocalBackend` by default, or a worker pool), acting as the
 * engine for it: it hands over specs and turns the backend's reports into
 * the agent's state changes. Tasks beyond the backend's `capacity` wait here.
 * Internal to the agent: `tests/agent/` runs it through a real agent.
 */
export class FunctionRunner {
  readonly #backend: Backend;
  readonly #modules: ModuleTable;
  readonly #report: Reporter;
  readonly #live = new Map<string, TaskRecord>();
  #waiting: { spec: TaskSpec; rec: TaskRecord }[] = [];
  #scheduled = false;

  constructor(backend: Backend, modules: ModuleTable, report: Reporter) {
    this.#backend = backend;
    this.#modules = modules;
    this.#report = report;
  }

  /** Attaches the backend; `workDir` is where it may write files. */
  async attach(workDir: string): Promise<void> {
    const find = (id: string) => this.#live.get(id);
    const end = (id: string) => {
      const rec = this.#live.get(id);
      this.#live.delete(id);
      if (this.#waiting.length > 0) this.#schedule();
      return rec;
    };
    const ctx: BackendContext = {
      engineUid: "agent",
      workDir,
      // What a measuring backend (the agent's Worker pool) saw; the times are the agent's own.
      ran: (id, record) => {
        const run = find(id)?.run;
        if (run !== undefined && record.cpuMs !== undefined) run.cpuMs = record.cpuMs;
      },
      running: (id, where) => {
        const rec = find(id);
        if (rec) this.#report.running(rec, where ?? "agent");
      },
      done: (id, value) => {
        const rec = end(id);
        if (rec) this.#report.finished(rec, "done", { value });
      },
      failed: (id, error) => {
        const rec = end(id);
        if (rec) this.#report.finished(rec, "failed", { error: errorToWire(error) });
      },
      cancelled: (id, reason) => {
        const rec = end(id);
        if (rec) {
          this.#report.finished(rec, "failed", {
            error: {
              name: "CancelledError",
              message: `cancelled by the agent's function backend: ${String(reason)}`,
            },
          });
        }
      },
    };
    await this.#backend.attach(ctx);
  }

  /**
   * Says why a task cannot be run here (its module or export is unknown), or
   * `undefined` when it can.
   */
  problem(task: WireFunctionTask): string | undefined {
    const module = this.#modules.get(task.fn.module);
    if (module === undefined) {
      const known = [...this.#modules.keys()].join(", ") ||
        "none; start the agent with --module name=path";
      return `unknown module '${task.fn.module}' (known: ${known})`;
    }
    if (!Object.hasOwn(module, task.fn.export) || typeof module[task.fn.export] !== "function") {
      return `module '${task.fn.module}' has no function export '${task.fn.export}'`;
    }
    return undefined;
  }

  /** How many function tasks the backend holds. */
  get active(): number {
    return this.#live.size;
  }

  /** Hands a task to the backend (batched with the others of this turn). */
  submit(rec: TaskRecord): void {
    const task = rec.task as WireFunctionTask;
    const id = String(rec.n);
    const spec: TaskSpec = {
      id,
      uid: id,
      name: task.name ?? task.fn.export,
      kind: "function",
      fn: this.#modules.get(task.fn.module)![task.fn.export] as (...args: never[]) => unknown,
      args: task.args,
      priority: task.priority ?? 0,
      attempt: 1,
      workflowId: "agent",
      ...(task.resources ? { resources: task.resources } : {}),
    };
    const item = { spec, rec };
    rec.stop = () => {
      if (this.#live.delete(id)) this.#backend.cancel(id, "cancelled by its client");
      else this.#waiting = this.#waiting.filter((w) => w !== item);
    };
    this.#waiting.push(item);
    this.#schedule();
  }

  /** Stops the backend. */
  shutdown(): Promise<void> {
    this.#waiting = [];
    return this.#backend.shutdown();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      const room = (this.#backend.capacity ?? Infinity) - this.#live.size;
      if (room <= 0 || this.#waiting.length === 0) return;
      const take = this.#waiting.splice(0, room);
      for (const { spec, rec } of take) this.#live.set(spec.id, rec);
      try {
        this.#backend.submit(take.map((w) => w.spec));
      } catch (error) {
        for (const { spec, rec } of take) {
          if (this.#live.delete(spec.id)) {
            this.#report.finished(rec, "failed", { error: errorToWire(error) });
          }
        }
      }
    });
  }
}
