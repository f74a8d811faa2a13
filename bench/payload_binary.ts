/**
 * The binary cases of the payload benchmark (`bench/payload.ts`): `Uint8Array` arguments and
 * results on the worker pool, copied (structured clone) or moved with `transfer()`, and binary
 * data through an agent, as base64 in the JSON of a function's argument and result or as a
 * declared input file staged to the agent and an output file fetched back.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { RemoteBackend } from "../backends/remote/mod.ts";
import { transfer, WorkerPoolBackend } from "../backends/worker_pool/mod.ts";
import { type Backend, WorkflowEngine } from "../mod.ts";
import { byteLength, echoBase64, makeBytes, makeBytesMoved } from "./payload_tasks.ts";

/** Where the agent is and the name its `--module` gives the bench's task module. */
export interface AgentAt {
  url: string;
  token: string;
  modules: Record<string, URL>;
}

/**
 * Tasks per second of `n` calls at once of the call `body` makes on an engine over `backend`,
 * after a warm-up of `warm` calls.
 */
export async function rate(
  backend: Backend | undefined,
  body: (flow: WorkflowEngine) => () => Promise<unknown>,
  n: number,
  warm = Math.min(n, 20),
): Promise<number> {
  const flow = await WorkflowEngine.create(backend ? { backend } : {});
  try {
    const one = body(flow);
    await Promise.all(Array.from({ length: warm }, one));
    const t0 = performance.now();
    await Promise.all(Array.from({ length: n }, one));
    return n / ((performance.now() - t0) / 1000);
  } finally {
    await flow.shutdown();
  }
}

/** Runs `fn` while sampling this process's RSS: its result and the peak above the start, in MB. */
export async function sampled<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = process.memoryUsage().rss;
  let peak = start;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  try {
    return [await fn(), (Math.max(peak, process.memoryUsage().rss) - start) / 1e6];
  } finally {
    clearInterval(timer);
  }
}

/** Fails the bench when a task brought back something else than what was asked. */
function expectSize(got: number, bytes: number, what: string): void {
  if (got !== bytes) throw new Error(`${what} brought back ${got} bytes instead of ${bytes}`);
}

/**
 * Pool tasks/s (2 workers) for `bytes`-byte arguments and results, copied and moved, and the RSS
 * peak while the results come back.
 */
export async function poolBinary(modules: URL[], bytes: number, n: number) {
  const pool = () => new WorkerPoolBackend({ modules, size: 2, minWorkers: 2 });
  const args = (move: boolean) => (flow: WorkflowEngine) => {
    const send = flow.functionTask(byteLength);
    return async () => {
      // A fresh buffer either way (a moved one is detached), filled as data would be: untouched
      // zero pages would cost a copy nothing.
      const data = new Uint8Array(bytes).fill(1);
      expectSize(await send(move ? transfer(data) : data), bytes, "byteLength");
    };
  };
  const results = (move: boolean) => (flow: WorkflowEngine) => {
    const receive = flow.functionTask(move ? makeBytesMoved : makeBytes);
    return async () => expectSize((await receive(bytes)).byteLength, bytes, "makeBytes");
  };
  const t0 = performance.now();
  for (let i = 0; i < n; i++) structuredClone(new Uint8Array(bytes).fill(1));
  const floor = n / ((performance.now() - t0) / 1000);
  const argsCopied = await rate(pool(), args(false), n);
  const argsMoved = await rate(pool(), args(true), n);
  const [resultsCopied, copiedRss] = await sampled(() => rate(pool(), results(false), n));
  const [resultsMoved, movedRss] = await sampled(() => rate(pool(), results(true), n));
  return { argsCopied, argsMoved, resultsCopied, resultsMoved, floor, copiedRss, movedRss };
}

/**
 * Round trips of `bytes` bytes through the agent, each task's content its own (the agent's store
 * would not take the same content twice): base64 in JSON to a function that decodes it and
 * returns it encoded again, against a file written on the client, declared as the input of
 * `cp in out` (hashed, uploaded, placed), and the declared output fetched back and read; beside
 * the floor of the file path's command, `true` with no files. Each path starts from the bytes in
 * memory and ends with them in memory again. Returns tasks/s and the RSS peak of each.
 */
export async function agentBinary(agent: AgentAt, bytes: number, n: number) {
  const root = mkdtempSync(join(tmpdir(), "asyncflow-bench-payload-"));
  mkdirSync(join(root, "in"));
  const template = randomBytes(bytes);
  let count = 0;
  const fresh = () => {
    const data = new Uint8Array(template);
    new DataView(data.buffer).setFloat64(0, ++count);
    return data;
  };
  const backend = () => new RemoteBackend({ ...agent, stagingRoot: root });
  const warm = bytes >= 1e6 ? 1 : Math.min(n, 4); // starts the session and the agent's Workers
  try {
    const [json, jsonRss] = await sampled(() =>
      rate(
        backend(),
        (flow) => {
          const echo = flow.functionTask(echoBase64);
          return async () => {
            const data = fresh();
            const sent = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
            const back = Buffer.from(await echo(sent.toString("base64")), "base64");
            expectSize(back.byteLength, bytes, "echoBase64");
          };
        },
        n,
        warm,
      )
    );
    const [files, filesRss] = await sampled(() =>
      rate(
        backend(),
        (flow) => {
          const cp = flow.executableTask((i: number) => ["cp", `in/${i}.bin`, `out/${i}.bin`], {
            cwd: root,
            inputs: (i: number) => [`in/${i}.bin`],
            outputs: (i: number) => [`out/${i}.bin`],
          });
          return async () => {
            const data = fresh();
            const i = count;
            await writeFile(join(root, `in/${i}.bin`), data);
            await cp(i);
            expectSize((await readFile(join(root, `out/${i}.bin`))).byteLength, bytes, "cp");
            rmSync(join(root, `in/${i}.bin`));
            rmSync(join(root, `out/${i}.bin`));
          };
        },
        n,
        warm,
      )
    );
    const command = await rate(
      backend(),
      (flow) => {
        const bare = flow.executableTask(() => ["true"], { cwd: root });
        return async () => await bare();
      },
      n,
      warm,
    );
    return { json, files, command, jsonRss, filesRss };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
