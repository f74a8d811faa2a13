/**
 * The pilot agent over loopback: no-op function tasks and `/bin/true`
 * commands through `RemoteBackend`, batch sizes 1 to 4096. Prints tasks/s end
 * to end and the submit time per task (one `POST …/tasks` of a batch, divided
 * by its size). Function tasks run on the agent's Workers (its default) and, beside them in the
 * same run, on a second agent that runs them in its own thread (`functionsInThread`).
 *
 *     deno run -A bench/remote.ts | bun bench/remote.ts | node bench/remote.ts
 *     (add --quick for a short run)
 *
 * `--servers` compares, in one process and interleaved, an agent served through the runtime's
 * `node:http` (the default, which bounds connections) with one on `Deno.serve` / `Bun.serve`
 * (`connections.server: "runtime"`): the median of each, and the median of per-round ratios.
 */
import process from "node:process";
import { startAgent } from "../agent/mod.ts";
import { RemoteBackend } from "../backends/remote/mod.ts";
import { WorkflowEngine } from "../mod.ts";
import { echo } from "../tests/fixtures/task_functions.ts";
import { runtime as runtimeOf } from "../src/host/runtime.ts";
import { median } from "./stats.ts";

const quick = process.argv.includes("--quick");
const fixtures = new URL("../tests/fixtures/task_functions.ts", import.meta.url);
const runtime = runtimeOf;
type Agent = { url: string; token: string; close(): Promise<void> };

/** End to end: `total` tasks through the engine, `batch` per request. */
async function endToEnd(
  agent: Agent,
  kind: "function" | "true",
  batch: number,
  total: number,
): Promise<number> {
  const backend = new RemoteBackend({
    url: agent.url,
    token: agent.token,
    modules: { fixtures },
    maxBatch: batch,
  });
  const flow = await WorkflowEngine.create({ backend });
  const noop = flow.functionTask(echo);
  const tru = flow.executableTask(() => ["/bin/true"]);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: total }, (_, i) => kind === "function" ? noop(i) : tru()));
  const ms = performance.now() - t0;
  await flow.shutdown();
  return total / (ms / 1000);
}

/** The raw submit cost: one POST of `batch` no-op tasks, per task, in µs (median of rounds). */
async function submitCost(agent: Agent, batch: number, rounds: number): Promise<number> {
  const h = { authorization: `Bearer ${agent.token}`, "content-type": "application/json" };
  const { session } =
    await (await fetch(`${agent.url}/v1/sessions`, { method: "POST", headers: h, body: "{}" }))
      .json();
  const times: number[] = [];
  let n = 0;
  for (let r = 0; r < rounds; r++) {
    const tasks = Array.from({ length: batch }, () => ({
      id: `t${n++}`,
      kind: "function",
      fn: { module: "fixtures", export: "echo" },
      args: [n],
    }));
    const t0 = performance.now();
    const res = await fetch(`${agent.url}/v1/sessions/${session}/tasks`, {
      method: "POST",
      headers: h,
      body: JSON.stringify({ tasks }),
    });
    await res.arrayBuffer();
    times.push(((performance.now() - t0) * 1000) / batch);
  }
  await (await fetch(`${agent.url}/v1/sessions/${session}`, { method: "DELETE", headers: h }))
    .arrayBuffer();
  times.sort((a, b) => a - b);
  return times[times.length >> 1]!;
}

/** The table of one agent. */
async function table(agent: Agent, inThread: Agent): Promise<void> {
  const batches = quick ? [1, 64, 4096] : [1, 16, 64, 256, 1024, 4096];
  console.log(`asyncflow remote agent over loopback (${runtime}, ${process.platform})`);
  console.log(
    "batch | no-op fn tasks/s (Workers) | (in the agent's thread) | /bin/true tasks/s | submit µs/task",
  );
  console.log("----: | ---------------: | ---------------: | ----------------: | -------------:");
  for (const batch of batches) {
    const fnTotal = quick ? 4096 : Math.max(2000, Math.min(20_000, batch * 8));
    const exTotal = quick ? 500 : 2000;
    const fn = await endToEnd(agent, "function", batch, fnTotal);
    const fnInThread = await endToEnd(inThread, "function", batch, fnTotal);
    const ex = await endToEnd(agent, "true", batch, exTotal);
    const submit = await submitCost(
      agent,
      batch,
      Math.max(3, Math.min(50, Math.ceil(20_000 / batch / 4))),
    );
    console.log(
      `${String(batch).padStart(5)} | ${fn.toFixed(0).padStart(16)} | ${
        fnInThread.toFixed(0).padStart(16)
      } | ${ex.toFixed(0).padStart(17)} | ${submit.toFixed(1).padStart(14)}`,
    );
  }
}

/** `node:http` against the runtime's own server, interleaved round by round. */
async function compareServers(): Promise<void> {
  const bounded = await startAgent({ modules: { fixtures }, cores: 2 });
  const own = await startAgent({
    modules: { fixtures },
    cores: 2,
    connections: { server: "runtime" },
  });
  const rounds = quick ? 5 : 15;
  console.log(`node:http (bounded) against the runtime's server (${runtime}), ${rounds} rounds`);
  console.log("case | node:http | runtime | ratio node/runtime (median of rounds, min–max)");
  const cases: [string, (a: Agent) => Promise<number>][] = [
    ["fn tasks/s, batch 1", (a) => endToEnd(a, "function", 1, 500)],
    ["fn tasks/s, batch 64", (a) => endToEnd(a, "function", 64, 4096)],
    ["fn tasks/s, batch 4096", (a) => endToEnd(a, "function", 4096, 8192)],
    ["/bin/true tasks/s, batch 64", (a) => endToEnd(a, "true", 64, 300)],
    ["submit µs/task, batch 1", (a) => submitCost(a, 1, 200)],
    ["submit µs/task, batch 4096", (a) => submitCost(a, 4096, 3)],
  ];
  for (const [name, measure] of cases) {
    const b: number[] = [], o: number[] = [], ratios: number[] = [];
    for (let r = 0; r < rounds; r++) {
      // Alternate which goes first, so that a drift of the machine's load favours neither.
      let x: number, y: number;
      if (r % 2 === 0) {
        x = await measure(bounded);
        y = await measure(own);
      } else {
        y = await measure(own);
        x = await measure(bounded);
      }
      b.push(x);
      o.push(y);
      ratios.push(x / y);
    }
    ratios.sort((p, q) => p - q);
    console.log(
      `${name} | ${median(b).toFixed(1)} | ${median(o).toFixed(1)} | ${
        median(ratios).toFixed(2)
      } ` +
        `(${ratios[0]!.toFixed(2)}–${ratios.at(-1)!.toFixed(2)})`,
    );
  }
  await bounded.close();
  await own.close();
}

if (process.argv.includes("--servers")) {
  await compareServers();
} else {
  const agent = await startAgent({ modules: { fixtures }, cores: 2 });
  const inThread = await startAgent({ modules: { fixtures }, cores: 2, functionsInThread: true });
  await table(agent, inThread);
  await agent.close();
  await inThread.close();
}
