/**
 * The function tasks a node executor runs: calls of the agent's task modules on a pool of Workers
 * in the executor's process, so that the scheduler can place functions on every node's cores and
 * not only on the agent's. The modules are the agent's own (`--module name=url`, on a filesystem
 * the nodes share), imported here at the first call: an executor that never runs a function
 * loads nothing. Cancelling a call terminates its Worker, as the agent's own pool does.
 *
 * @module
 */
import type { BackendContext, TaskSpec } from "../../src/backend.ts";
import type { WorkerPoolBackend } from "../../backends/worker_pool/mod.ts";
import { errorToWire } from "../wire_error.ts";
import { type CallMessage, type FromExecutor, MAX_RESULT_BYTES } from "./protocol.ts";

type Send = (m: FromExecutor) => void;

/**
 * The executor's function calls, each answered with one `returned` or `threw` line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FunctionCalls } from "./function_calls.ts";
 * const sent: unknown[] = [];
 * const calls = new FunctionCalls(new Map(), 1, (m) => sent.push(m));
 * calls.call({ t: "call", id: 1, module: "nope", export: "f", args: [] });
 * await calls.close();
 * assert.match((sent[0] as { error: { message: string } }).error.message, /unknown module 'nope'/);
 * ```
 */
export class FunctionCalls {
  readonly #urls: ReadonlyMap<string, string>;
  readonly #workers: number;
  readonly #send: Send;
  /** The calls under way: the agent's id → the pool's task id. */
  readonly #live = new Set<number>();
  #pool:
    | Promise<{ pool: WorkerPoolBackend; modules: Map<string, Record<string, unknown>> }>
    | undefined;

  /**
   * @param urls The task modules: the agent's name → URL.
   * @param workers The most Workers at once (the node's cores: the agent places no more calls).
   * @param send Writes a line to the agent.
   */
  constructor(urls: ReadonlyMap<string, string>, workers: number, send: Send) {
    this.#urls = urls;
    this.#workers = workers;
    this.#send = send;
  }

  /** How many calls are under way. */
  get live(): number {
    return this.#live.size;
  }

  /** Whether `id` is a call under way. */
  has(id: number): boolean {
    return this.#live.has(id);
  }

  /** Starts a call; its answer comes as one line. */
  call(m: CallMessage): void {
    if (!this.#urls.has(m.module)) {
      const known = [...this.#urls.keys()].join(", ") || "none";
      return this.#threw(m.id, new Error(`unknown module '${m.module}' (known: ${known})`));
    }
    this.#live.add(m.id);
    this.#start().then(({ pool, modules }) => {
      if (!this.#live.has(m.id)) return; // killed while the modules loaded
      const fn = modules.get(m.module)?.[m.export];
      if (typeof fn !== "function") {
        this.#live.delete(m.id);
        return this.#threw(
          m.id,
          new Error(`module '${m.module}' has no function export '${m.export}' on this node`),
        );
      }
      const spec: TaskSpec = {
        id: String(m.id),
        uid: String(m.id),
        name: m.export,
        kind: "function",
        fn: fn as (...args: never[]) => unknown,
        args: m.args,
        priority: 0,
        attempt: 1,
        workflowId: "executor",
      };
      pool.submit([spec]);
    }, (error) => {
      this.#live.delete(m.id);
      this.#threw(m.id, error);
    });
  }

  /** Ends a call: its Worker is terminated; the agent hears a `CancelledError`. */
  kill(id: number): void {
    if (!this.#live.delete(id)) return;
    void this.#pool?.then(({ pool }) => pool.cancel(String(id), "cancelled by the agent"));
    this.#threw(
      id,
      Object.assign(new Error(`call ${id} was cancelled`), { name: "CancelledError" }),
    );
  }

  /** Terminates every Worker. */
  async close(): Promise<void> {
    this.#live.clear();
    const started = await this.#pool?.catch(() => undefined);
    await started?.pool.shutdown();
  }

  /** The pool and the modules, loaded once, at the first call. */
  #start(): Promise<{ pool: WorkerPoolBackend; modules: Map<string, Record<string, unknown>> }> {
    return this.#pool ??= (async () => {
      const modules = new Map<string, Record<string, unknown>>();
      for (const [name, url] of this.#urls) {
        try {
          modules.set(name, await import(url) as Record<string, unknown>);
        } catch (error) {
          throw new Error(
            `the executor cannot load module '${name}' from ${url}: ${(error as Error).message}`,
            { cause: error },
          );
        }
      }
      const { WorkerPoolBackend } = await import("../../backends/worker_pool/mod.ts");
      const pool = new WorkerPoolBackend({
        modules: [...this.#urls.values()],
        size: this.#workers,
        name: "executor-functions",
      });
      await pool.attach(this.#context());
      return { pool, modules };
    })();
  }

  #context(): BackendContext {
    const end = (id: string) => this.#live.delete(Number(id));
    return {
      engineUid: "executor",
      workDir: ".",
      running: () => {},
      done: (id, value) => {
        if (end(id)) this.#returned(Number(id), value);
      },
      failed: (id, error) => {
        if (end(id)) this.#threw(Number(id), error);
      },
      cancelled: (id, reason) => {
        if (end(id)) this.#threw(Number(id), new Error(`cancelled: ${String(reason)}`));
      },
    };
  }

  /** Sends a result, as JSON checked here: a line the agent can take, or the reason it cannot. */
  #returned(id: number, value: unknown): void {
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch (error) {
      return this.#threw(
        id,
        new TypeError(`the result of call ${id} is not JSON: ${(error as Error).message}`),
      );
    }
    if (json !== undefined && json.length > MAX_RESULT_BYTES) {
      return this.#threw(
        id,
        new RangeError(
          `the result of call ${id} is ${json.length} bytes of JSON, more than the ` +
            `${MAX_RESULT_BYTES} a function run on a node may send back; write large results ` +
            "to a file on a filesystem the agent shares and return its path",
        ),
      );
    }
    this.#send(json === undefined ? { t: "returned", id } : { t: "returned", id, value });
  }

  #threw(id: number, error: unknown): void {
    this.#send({ t: "threw", id, error: errorToWire(error) });
  }
}
