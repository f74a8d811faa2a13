/**
 * What the worker pool benchmark measures the pool against, in the same run:
 * the floor (a bare `postMessage` echo to two workers, one message per task,
 * as many in flight per worker as the pool holds) on every runtime, and
 * piscina, the usual Node worker pool, on Node.
 *
 * @module
 */
import { Worker as NodeWorker } from "node:worker_threads";
import { runtime } from "../src/host/runtime.ts";

/** Something that runs a no-op task: the pool, the floor or a peer. */
export interface Subject {
  /** Its name in the report. */
  readonly name: string;
  /** Runs one no-op task with `i` and resolves with its answer. */
  run(i: number): Promise<unknown>;
  /** Stops its workers. */
  close(): Promise<void>;
}

const webWorkers = runtime !== "node";

/** Tasks each echo worker has in flight at most: as many as a pool worker holds. */
const IN_FLIGHT = 4;

interface Job {
  value: unknown;
  resolve(value: unknown): void;
}

/** One echo worker: it answers in order, so a FIFO of jobs matches the answers. */
class EchoWorker {
  readonly sent: Job[] = [];
  readonly #post: (message: unknown) => void;
  readonly close: () => Promise<void>;

  constructor(url: URL, answered: (worker: EchoWorker, data: unknown) => void) {
    if (webWorkers) {
      const worker = new Worker(url, { type: "module" });
      worker.addEventListener("message", (event) => answered(this, event.data));
      this.#post = (message) => worker.postMessage(message);
      this.close = () => Promise.resolve(worker.terminate());
    } else {
      const worker = new NodeWorker(url);
      worker.on("message", (data) => answered(this, data));
      this.#post = (message) => worker.postMessage(message);
      this.close = async () => void await worker.terminate();
    }
  }

  send(job: Job): void {
    this.sent.push(job);
    this.#post(job.value);
  }
}

/**
 * The floor: two echo workers with up to four tasks in flight each, one
 * message per task; the rest wait in a queue, as they do in a pool.
 *
 * @returns The floor, once both workers answered a first message.
 */
export async function echoFloor(): Promise<Subject> {
  const url = new URL("./worker_pool_echo.ts", import.meta.url);
  const waiting: Job[] = [];
  let head = 0;
  const answered = (worker: EchoWorker, data: unknown) => {
    worker.sent.shift()!.resolve(data);
    if (head < waiting.length) {
      worker.send(waiting[head++]!);
      if (head === waiting.length) waiting.length = head = 0;
    }
  };
  const workers = [new EchoWorker(url, answered), new EchoWorker(url, answered)] as const;
  const run = (value: unknown) =>
    new Promise<unknown>((resolve) => {
      const [a, b] = workers;
      const worker = a.sent.length <= b.sent.length ? a : b;
      if (worker.sent.length < IN_FLIGHT) worker.send({ value, resolve });
      else waiting.push({ value, resolve });
    });
  await Promise.all([run(0), run(1)]);
  return {
    name: "bare postMessage echo",
    run,
    close: async () => void await Promise.all(workers.map((w) => w.close())),
  };
}

/**
 * piscina with two threads, warm (Node only).
 *
 * @returns The peer.
 */
export async function piscina(): Promise<Subject> {
  const { Piscina } = await import("piscina");
  const pool = new Piscina({
    filename: new URL("./worker_pool_piscina.mjs", import.meta.url).href,
    minThreads: 2,
    maxThreads: 2,
  });
  return { name: "piscina", run: (i) => pool.run(i), close: () => pool.destroy() };
}
