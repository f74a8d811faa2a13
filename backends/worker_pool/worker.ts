/**
 * The worker script of the pool. It loads task modules on demand, runs the
 * jobs it is sent one at a time in the order they came, and answers each
 * through Comlink. A job is started only after winning its claim cell, so
 * the pool can take back a job the worker holds but has not started.
 *
 * @module
 */
import * as Comlink from "comlink";
import { parentEndpoint } from "./_runtime.ts";
import { FINISHED, type JobMessage, PENDING, STARTED, type WorkerApi } from "./protocol.ts";
import { transferList } from "./transfer.ts";

type Module = Record<string, unknown>;
interface Entry {
  job: JobMessage;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

const endpoint = parentEndpoint();
let moduleUrls: string[] = [];
let cells: Int32Array<ArrayBufferLike> = new Int32Array(0);
const loaded: (Module | undefined)[] = [];
const loading: (Promise<Module> | undefined)[] = [];
const queue: Entry[] = [];
let busy = false;

// The next job starts in a new macrotask: by then Comlink has posted the
// answer of the previous one (it does so a few microtasks after it settles),
// so a job the pool sees STARTED always comes after answers already sent.
const nextTurn: (fn: () => void) => void =
  typeof (globalThis as { setImmediate?: unknown }).setImmediate === "function"
    ? (fn) => void setImmediate(fn)
    : (fn) => void setTimeout(fn, 0);

function load(index: number): Promise<Module> {
  const url = moduleUrls[index];
  if (url === undefined) return Promise.reject(new RangeError(`No task module #${index}`));
  return loading[index] ??= import(url).then(
    (module: Module) => (loaded[index] = module),
    (error: unknown) => {
      const why = error instanceof Error ? error.message : String(error);
      throw new Error(`Task module ${url} failed to load in a worker: ${why}`, { cause: error });
    },
  );
}

function invoke(module: Module, job: JobMessage): unknown {
  const fn = module[job.name];
  if (typeof fn !== "function") {
    throw new TypeError(
      `Task module ${moduleUrls[job.module]} has no exported function '${job.name}'`,
    );
  }
  return (fn as (...args: unknown[]) => unknown)(...job.args);
}

function finish(entry: Entry, ok: boolean, value: unknown): void {
  Atomics.store(cells, entry.job.slot, FINISHED);
  if (!ok) return entry.reject(value);
  const buffers = transferList(value);
  entry.resolve(buffers.length > 0 ? Comlink.transfer(value, buffers) : value);
}

function settle(entry: Entry, ok: boolean, value: unknown): void {
  finish(entry, ok, value);
  if (queue.length > 0) nextTurn(pump);
  else busy = false;
}

function pump(): void {
  busy = true;
  for (let entry = queue.shift(); entry !== undefined; entry = queue.shift()) {
    const { job } = entry;
    if (Atomics.compareExchange(cells, job.slot, PENDING, STARTED) !== PENDING) {
      entry.resolve(undefined); // withdrawn by the pool
      continue;
    }
    let result: unknown;
    try {
      const module = loaded[job.module];
      result = module === undefined
        ? load(job.module).then((m) => invoke(m, job))
        : invoke(module, job);
    } catch (error) {
      return settle(entry, false, error);
    }
    if (result instanceof Promise || typeof (result as PromiseLike<unknown>)?.then === "function") {
      const current = entry;
      (result as PromiseLike<unknown>).then(
        (value) => settle(current, true, value),
        (error) => settle(current, false, error),
      );
      return;
    }
    return settle(entry, true, result);
  }
  busy = false;
}

/** Tells the pool why this worker is about to exit, before it does. */
function patchExit(owner: Record<string, unknown> | undefined, key: string, how: string): void {
  const original = owner?.[key];
  if (typeof original !== "function") return;
  const note = (code: unknown) => {
    try {
      endpoint.postMessage({ asyncflowWorkerExit: true, how: `${how}(${code ?? ""})` });
    } catch { /* nobody to tell */ }
  };
  try {
    Object.defineProperty(owner, key, {
      configurable: true,
      writable: true,
      value: (code?: unknown) => {
        note(code);
        return original.call(owner, code);
      },
    });
  } catch { /* frozen: the runtime's own exit event has to do */ }
}

const g = globalThis as unknown as Record<string, Record<string, unknown> | undefined>;
patchExit(g.process, "exit", "process.exit");
patchExit(g.Deno, "exit", "Deno.exit");
patchExit(g as unknown as Record<string, unknown>, "close", "close");

const api: WorkerApi = {
  init(modules: string[], shared: SharedArrayBuffer): void {
    moduleUrls = modules;
    cells = new Int32Array(shared);
    // Load every module now so that the first task does not wait for it;
    // a module that fails keeps its error for the tasks sent to it.
    modules.forEach((_, i) => load(i).catch(() => {}));
  },
  run(job: JobMessage): Promise<unknown> {
    return new Promise((resolve, reject) => {
      queue.push({ job, resolve, reject });
      if (!busy) pump();
    });
  },
};

Comlink.expose(api, endpoint);
