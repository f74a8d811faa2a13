/**
 * The pilot agent over loopback: no-op function tasks and `/bin/true`
 * commands through `RemoteBackend`, batch sizes 1 to 4096. Prints tasks/s end
 * to end and the submit time per task (one `POST …/tasks` of a batch, divided
 * by its size). Function tasks run on the agent's Workers (its default) and, beside them in the
 * same run, on a second agent that runs them in its own thread (`functionsInThread`).
 *
 *     deno run -A bench/remote.ts | bun bench/remote.ts | node bench/remote.ts
 *     (add --quick for a short run)
 */
import process from "node:process";
import { startAgent } from "../agent/mod.ts";
import { RemoteBackend } from "../backends/remote/mod.ts";
import { WorkflowEngine } from "../mod.ts";
import { echo } from "../tests/fixtures/task_functions.ts";
import { runtime as runtimeOf } from "../src/host/runtime.ts";

const quick = process.argv.includes("--quick");
const fixtures = new URL("../tests/fixtures/task_functions.ts", import.meta.url);
const agent = await startAgent({ modules: { fixtures }, cores: 2 });
const inThread = await startAgent({ modules: { fixtures }, cores: 2, functionsInThread: true });
const runtime = runtimeOf;

/** End to end: `total` tasks through the engine, `batch` per request. */
async function endToEnd(
  kind: "function" | "true",
  batch: number,
  total: number,
  on: { url: string; token: string } = agent,
): Promise<number> {
  const backend = new RemoteBackend({
    url: on.url,
    token: on.token,
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
async function submitCost(batch: number, rounds: number): Promise<number> {
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

const batches = quick ? [1, 64, 4096] : [1, 16, 64, 256, 1024, 4096];
console.log(`asyncflow remote agent over loopback (${runtime}, ${process.platform})`);
console.log(
  "batch | no-op fn tasks/s (Workers) | (in the agent's thread) | /bin/true tasks/s | submit µs/task",
);
console.log("----: | ---------------: | ---------------: | ----------------: | -------------:");
for (const batch of batches) {
  const fnTotal = quick ? 4096 : Math.max(2000, Math.min(20_000, batch * 8));
  const exTotal = quick ? 500 : 2000;
  const fn = await endToEnd("function", batch, fnTotal);
  const fnInThread = await endToEnd("function", batch, fnTotal, inThread);
  const ex = await endToEnd("true", batch, exTotal);
  const submit = await submitCost(batch, Math.max(3, Math.min(50, Math.ceil(20_000 / batch / 4))));
  console.log(
    `${String(batch).padStart(5)} | ${fn.toFixed(0).padStart(16)} | ${
      fnInThread.toFixed(0).padStart(16)
    } | ${ex.toFixed(0).padStart(17)} | ${submit.toFixed(1).padStart(14)}`,
  );
}
await agent.close();
await inThread.close();
