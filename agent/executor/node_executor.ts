/**
 * The agent's end of one node executor: starts it (as a Slurm step, or any argv), sends it
 * commands, turns its reports into {@linkcode RunningProcess}es, and says when the node is lost:
 * the step ended, its link broke, or it fell silent.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import type { WireError } from "../../protocol/v1.ts";
import type {
  ProcessOutcome,
  ProcessRequest,
  ProcessUsage,
  RunningProcess,
} from "../../src/host/mod.ts";
import { runtime } from "../../src/host/runtime.ts";
import { BEAT_MS, type FromExecutor, lineReader, type ToExecutor } from "./protocol.ts";

/**
 * A task's node was lost while the task ran there (its executor's step ended or fell silent).
 * Retry policies can match it by name: `retryOn: (e) => e.name === "NodeLostError"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { NodeLostError } from "@asyncflow/asyncflow/agent";
 * const e = new NodeLostError("node3", "no heartbeat for 5000 ms");
 * assert.equal(e.name, "NodeLostError");
 * assert.equal(e.node, "node3");
 * ```
 */
export class NodeLostError extends Error {
  /** The node that was lost. */
  readonly node: string;
  /**
   * Makes the error for a lost node.
   *
   * @param node The node's name.
   * @param why What the agent saw.
   */
  constructor(node: string, why: string) {
    super(
      `node ${node} was lost (${why}); the agent places no more work there: ` +
        `retry the task (retryOn: e.name === "NodeLostError") to run it on another node`,
    );
    this.name = "NodeLostError";
    this.node = node;
  }
}

/** Options of {@linkcode NodeExecutor.start}. */
export interface NodeExecutorOptions {
  /** Give up on a start after this long; default 60 000 ms (a step may wait for the controller). */
  readyTimeoutMs?: number;
  /** The node is lost after this long without a line from it; default 5 000 ms. */
  silenceMs?: number;
}

/** How a function call on a node ended: its result, or what it threw (as it travels). */
export type CallOutcome = { ok: true; value: unknown } | { ok: false; error: WireError };

/** A function call under way on a node. */
export interface RunningCall {
  /** Settles when the call ends; rejects with {@linkcode NodeLostError} when the node is lost. */
  readonly exited: Promise<CallOutcome>;
  /** Ends the call (its Worker is terminated); `exited` then gives a `CancelledError`. */
  kill(): void;
}

interface InFlight {
  resolve(o: ProcessOutcome | CallOutcome): void;
  reject(e: Error): void;
}

/**
 * One node executor, started once and used for every single-rank command placed on its node.
 *
 * @example
 * ```ts ignore
 * const ex = await NodeExecutor.start("node2", ["srun", "--overlap", "-N1", "-n1", "--nodelist=node2", "-u", ...executor]);
 * const p = ex.spawn({ command: ["hostname"] });
 * console.log((await p.exited).stdout);
 * ```
 */
export class NodeExecutor {
  /** The node's name, as the scheduler knows it. */
  readonly node: string;
  readonly #child: ChildProcess;
  readonly #inFlight = new Map<number, InFlight>();
  readonly #lostListeners: ((error: NodeLostError) => void)[] = [];
  #nextId = 1;
  #lost: NodeLostError | undefined;
  #heard = Date.now();
  #watch: ReturnType<typeof setInterval> | undefined;
  #ready: (() => void) | undefined;
  #pid: number | undefined;

  private constructor(node: string, argv: readonly string[], silenceMs: number) {
    this.node = node;
    this.#child = spawn(argv[0]!, argv.slice(1), { stdio: ["pipe", "pipe", "inherit"] });
    const feed = lineReader(
      (m) => this.#onMessage(m as unknown as FromExecutor),
      (why) => this.#lose(`its executor sent ${why}`),
    );
    this.#child.stdout!.on("data", (chunk: Uint8Array) => feed(chunk));
    this.#child.stdin!.on("error", () => this.#lose("the link to its executor broke"));
    this.#child.once("error", (e) => this.#lose(`its executor could not start: ${e.message}`));
    this.#child.once("exit", (code, signal) => {
      const ended = signal ?? `code ${code}`;
      // Before `ready`, the executor itself failed (it printed why to the agent's stderr).
      this.#lose(
        this.#pid === undefined
          ? `its executor's step ended with ${ended} before the executor was ready; its error is in the agent's output`
          : `its executor's step ended with ${ended}`,
      );
    });
    this.#watch = this.#watchSilence(silenceMs);
  }

  /**
   * Starts an executor with `argv` and waits until it says it is ready.
   *
   * @throws {NodeLostError} When it ends, or does not answer within `readyTimeoutMs`.
   */
  static async start(
    node: string,
    argv: readonly string[],
    options: NodeExecutorOptions = {},
  ): Promise<NodeExecutor> {
    const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
    const ex = new NodeExecutor(node, argv, Math.max(options.silenceMs ?? 5_000, readyTimeoutMs));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => ex.#lose(`its executor was not ready within ${readyTimeoutMs} ms`),
        readyTimeoutMs,
      );
      ex.#ready = () => {
        clearTimeout(timer);
        resolve();
      };
      ex.onLost((e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    ex.#resetWatch(options.silenceMs ?? 5_000);
    return ex;
  }

  /** The executor's process id on its node, once it is ready. */
  get executorPid(): number | undefined {
    return this.#pid;
  }

  /** Why the node was lost, or undefined while it serves. */
  get lost(): NodeLostError | undefined {
    return this.#lost;
  }

  /** Calls `listener` once when the node is lost (at once when it is already). */
  onLost(listener: (error: NodeLostError) => void): void {
    if (this.#lost) listener(this.#lost);
    else this.#lostListeners.push(listener);
  }

  /**
   * Runs a command on the node. Its `pid` is undefined: the process lives on another node.
   * `exited` rejects with {@linkcode NodeLostError} when the node is lost before it ends.
   */
  spawn(request: ProcessRequest & { maxBufferBytes: number }): RunningProcess {
    const id = this.#nextId++;
    const argv = typeof request.command === "string"
      ? ["/bin/sh", "-c", request.command]
      : [...request.command];
    const exited = new Promise<ProcessOutcome>((resolve, reject) => {
      if (this.#lost) return reject(this.#lost);
      this.#inFlight.set(id, { resolve: resolve as InFlight["resolve"], reject });
    });
    this.#send({
      t: "spawn",
      id,
      argv,
      ...(request.cwd !== undefined ? { cwd: request.cwd } : {}),
      ...(request.env !== undefined ? { env: request.env } : {}),
      maxBufferBytes: request.maxBufferBytes,
    });
    return { pid: undefined, exited, kill: () => this.#send({ t: "kill", id }) };
  }

  /**
   * Calls a function of a task module on one of the node's Workers. `module` is the agent's
   * name of a module the executor was started with (see {@linkcode NodeExecutorOptions}).
   */
  call(request: { module: string; export: string; args: unknown[] }): RunningCall {
    const id = this.#nextId++;
    const exited = new Promise<CallOutcome>((resolve, reject) => {
      if (this.#lost) return reject(this.#lost);
      this.#inFlight.set(id, { resolve: resolve as InFlight["resolve"], reject });
    });
    this.#send({ t: "call", id, ...request });
    return { exited, kill: () => this.#send({ t: "kill", id }) };
  }

  /** Ends the link: the executor kills what it runs and exits; then its step ends. */
  async close(): Promise<void> {
    clearInterval(this.#watch);
    const child = this.#child;
    if (child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((resolve) => {
        // The executor kills its commands (2 s grace) and exits; a step that hangs is killed.
        const timer = setTimeout(resolve, 5_000);
        child.once("exit", () => {
          clearTimeout(timer);
          resolve();
        });
        child.stdin!.end();
      });
    }
    this.#lose("the agent is shutting down");
  }

  #resetWatch(silenceMs: number): void {
    clearInterval(this.#watch);
    this.#heard = Date.now();
    this.#watch = this.#watchSilence(silenceMs);
  }

  #watchSilence(silenceMs: number): ReturnType<typeof setInterval> {
    return setInterval(() => {
      const silent = Date.now() - this.#heard;
      if (silent > silenceMs) this.#lose(`no heartbeat for ${silent} ms`);
      else this.#send({ t: "ping" });
    }, BEAT_MS);
  }

  #send(m: ToExecutor): void {
    if (this.#lost || !this.#child.stdin!.writable) return;
    this.#child.stdin!.write(JSON.stringify(m) + "\n");
  }

  #onMessage(m: FromExecutor): void {
    this.#heard = Date.now();
    if (m.t === "ready") {
      this.#pid = m.pid;
      this.#ready?.();
    } else if (m.t === "exit" || m.t === "error" || m.t === "returned" || m.t === "threw") {
      const waiting = this.#inFlight.get(m.id);
      if (waiting === undefined) return;
      this.#inFlight.delete(m.id);
      if (m.t === "error") waiting.reject(new Error(`on node ${this.node}: ${m.message}`));
      else if (m.t === "returned") waiting.resolve({ ok: true, value: m.value });
      else if (m.t === "threw") waiting.resolve({ ok: false, error: wireError(m.error) });
      else {
        const usage = usageOf(m.usage);
        waiting.resolve({
          exitCode: m.exitCode,
          signal: m.signal,
          stdout: m.stdout,
          stderr: m.stderr,
          ...(usage ? { usage } : {}),
        });
      }
    }
  }

  #lose(why: string): void {
    if (this.#lost) return;
    const error = new NodeLostError(this.node, why);
    this.#lost = error;
    clearInterval(this.#watch);
    // A step cut off from its node may never end by itself: it goes now.
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      try {
        this.#child.kill("SIGKILL");
      } catch {
        // Gone already.
      }
    }
    for (const waiting of this.#inFlight.values()) waiting.reject(error);
    this.#inFlight.clear();
    for (const listener of this.#lostListeners.splice(0)) listener(error);
  }
}

/** The figures of an executor's `usage` that are finite numbers >= 0 (it is another process). */
function usageOf(u: unknown): ProcessUsage | undefined {
  if (typeof u !== "object" || u === null) return undefined;
  const { cpuMs, maxRssKiB } = u as Record<string, unknown>;
  const ok = (n: unknown): n is number => typeof n === "number" && Number.isFinite(n) && n >= 0;
  const usage: ProcessUsage = {};
  if (ok(cpuMs)) usage.cpuMs = cpuMs;
  if (ok(maxRssKiB)) usage.maxRssKiB = maxRssKiB;
  return Object.keys(usage).length > 0 ? usage : undefined;
}

/** What an executor says a function threw, held to the shape of an error. */
function wireError(e: unknown): WireError {
  const { name, message, stack } = (e ?? {}) as Partial<Record<keyof WireError, unknown>>;
  return {
    name: typeof name === "string" ? name : "Error",
    message: typeof message === "string" ? message : String(message),
    ...(typeof stack === "string" ? { stack } : {}),
  };
}

/** The argv that runs the executor entry with this process's runtime. */
export function executorEntry(): string[] {
  const main = fileURLToPath(new URL("./main.ts", import.meta.url));
  return runtime === "deno" ? [process.execPath, "run", "-A", main] : [process.execPath, main];
}
