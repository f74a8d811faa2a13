/**
 * The worker script of the pool. It loads task modules on demand, runs the
 * jobs it is sent one at a time in the order they came, and answers each one
 * (see `protocol.ts`). A job is started only after winning its claim cell,
 * so the pool can take back a job the worker holds but has not started.
 *
 * Each answer is posted before the next job starts: a job the pool sees
 * `STARTED` always comes after the answers of the jobs before it, and a
 * result never waits behind a long job.
 *
 * @module
 */
import { isThenable } from "../../src/thenable.ts";
import { parentPortOf } from "./_runtime.ts";
import {
  ERROR,
  EXIT,
  FINISHED,
  INIT,
  JOB_FIELDS,
  type JobUsage,
  OK,
  PENDING,
  READY,
  SKIPPED,
  STARTED,
  type ToWorker,
} from "./protocol.ts";
import { transferList } from "./transfer.ts";

type Module = Record<string, unknown>;

const port = parentPortOf();
const NO_TRANSFER: ArrayBuffer[] = [];
const SKIPPED_ANSWER = [SKIPPED];
let moduleUrls: string[] = [];
/** The claim cells; `undefined` in `"messages"` mode, where every job received is this worker's. */
let cells: Int32Array<ArrayBufferLike> | undefined;
const loaded: (Module | undefined)[] = [];
const loading: (Promise<Module> | undefined)[] = [];
/** Jobs not started yet, `JOB_FIELDS` entries each, from `head` on. */
const queue: unknown[] = [];
let head = 0;
/** A job is running (or waiting on its promise): new jobs only queue. */
let busy = false;
/** The pool measures each job (a recorded run): what the running one started from. */
let measure = false;
let startedAt = 0;
let startedPerf = 0;
let startedCpu = 0;
/** The CPU time of this Worker's thread, µs; Deno, Bun and Node 23.9+ have it. */
const threadCpuUsage = (globalThis as { process?: { threadCpuUsage?: () => CpuUsage } }).process
  ?.threadCpuUsage;
interface CpuUsage {
  user: number;
  system: number;
}

function threadCpuUs(): number {
  if (threadCpuUsage === undefined) return -1;
  const { user, system } = threadCpuUsage();
  return user + system;
}

function startMeasure(): void {
  startedAt = Date.now();
  startedPerf = performance.now();
  startedCpu = threadCpuUs();
}

/** What the job that just ended used; one job runs at a time, so the thread's time is its. */
function usage(): JobUsage {
  const wallMs = performance.now() - startedPerf;
  const cpuMs = startedCpu < 0 ? -1 : (threadCpuUs() - startedCpu) / 1000;
  return [startedAt, wallMs, cpuMs];
}

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

function invoke(module: Module, index: number, name: string, args: unknown[]): unknown {
  const fn = module[name];
  if (typeof fn !== "function") {
    throw new TypeError(`Task module ${moduleUrls[index]} has no exported function '${name}'`);
  }
  return (fn as (...args: unknown[]) => unknown)(...args);
}

function finished(slot: number): void {
  if (cells !== undefined) Atomics.store(cells, slot, FINISHED);
}

function answerValue(slot: number, value: unknown): void {
  finished(slot);
  try {
    port.post(measure ? [OK, value, usage()] : [OK, value], transferList(value));
  } catch (error) {
    answerError(
      slot,
      new TypeError(
        `The task's result cannot be sent back from the worker (structured clone): ${
          messageOf(error)
        }`,
        { cause: error },
      ),
    );
  }
}

/**
 * Posts an error with its own fields (a custom `name`, `code`, ...), which a
 * structured clone drops, and its `cause` (which Bun's drops); falls back to
 * less when the error cannot be cloned.
 */
function answerError(slot: number, error: unknown): void {
  finished(slot);
  const fields = error instanceof Error ? errorFields(error) : undefined;
  const used = measure ? usage() : undefined;
  try {
    return port.post([ERROR, error, fields, used], NO_TRANSFER);
  } catch { /* a field cannot be cloned: try without them */ }
  try {
    return port.post([ERROR, error, undefined, used], NO_TRANSFER);
  } catch (why) {
    const copy = new Error(
      `${messageOf(error)} (the task's error cannot be sent back from the worker: ${
        messageOf(why)
      })`,
    );
    port.post(
      [ERROR, copy, error instanceof Error ? { name: error.name } : undefined, used],
      NO_TRANSFER,
    );
  }
}

function errorFields(error: Error): Record<string, unknown> {
  const fields: Record<string, unknown> = { ...error, name: error.name };
  if (Object.hasOwn(error, "cause")) fields.cause = error.cause;
  return fields;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function pump(): void {
  busy = true;
  while (head < queue.length) {
    const slot = queue[head] as number;
    const module = queue[head + 1] as number;
    const name = queue[head + 2] as string;
    const args = queue[head + 3] as unknown[];
    head += JOB_FIELDS;
    if (head === queue.length) queue.length = head = 0;
    if (cells !== undefined && Atomics.compareExchange(cells, slot, PENDING, STARTED) !== PENDING) {
      port.post(SKIPPED_ANSWER, NO_TRANSFER); // withdrawn by the pool
      continue;
    }
    let result: unknown;
    if (measure) startMeasure();
    try {
      const m = loaded[module];
      result = m === undefined
        ? load(module).then((m) => invoke(m, module, name, args))
        : invoke(m, module, name, args);
    } catch (error) {
      answerError(slot, error);
      continue;
    }
    if (isThenable(result)) {
      result.then(
        (value) => (answerValue(slot, value), pump()),
        (error) => (answerError(slot, error), pump()),
      );
      return;
    }
    answerValue(slot, result);
  }
  busy = false;
}

function receive(data: unknown): void {
  const message = data as ToWorker;
  if (message[0] === INIT) {
    moduleUrls = message[1];
    cells = message[2] === null ? undefined : new Int32Array(message[2]);
    measure = message[3];
    // Load every module now so that the first task does not wait for it;
    // a module that fails keeps its error for the tasks sent to it.
    moduleUrls.forEach((_, i) => load(i).catch(() => {}));
    port.post([READY], NO_TRANSFER);
    return;
  }
  for (let i = 1; i < message.length; i++) queue.push(message[i]);
  if (!busy) pump();
}

/** Tells the pool why this worker is about to exit, before it does. */
function patchExit(owner: Record<string, unknown> | undefined, key: string, how: string): void {
  const original = owner?.[key];
  if (typeof original !== "function") return;
  const note = (code: unknown) => {
    try {
      port.post([EXIT, `${how}(${code ?? ""})`], NO_TRANSFER);
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

port.listen(receive);
