/**
 * What pinning costs: no-op function tasks through `RemoteBackend` to an agent over plain HTTP and
 * to one over HTTPS on its self-made certificate, pinned from its endpoint file, in the same run
 * and interleaved (so machine noise hits both alike). Prints tasks/s, median and range of the
 * rounds, and the ratio of the medians.
 *
 *     deno run -A bench/remote_pinned.ts | bun bench/remote_pinned.ts | node bench/remote_pinned.ts
 *     (add --quick for a short run)
 */
import process from "node:process";
import { startAgent } from "../agent/mod.ts";
import { RemoteBackend } from "../backends/remote/mod.ts";
import { WorkflowEngine } from "../mod.ts";
import { echo } from "../tests/fixtures/task_functions.ts";
import { runtime as runtimeOf } from "../src/host/runtime.ts";
import { median, spread } from "./stats.ts";

const quick = process.argv.includes("--quick");
const fixtures = new URL("../tests/fixtures/task_functions.ts", import.meta.url);
const plain = await startAgent({ modules: { fixtures }, cores: 2 });
const pinned = await startAgent({ modules: { fixtures }, cores: 2, tls: "self-signed" });
const runtime = runtimeOf;

/** `total` no-op function tasks end to end, `batch` per request; tasks/s. */
async function endToEnd(agentDir: string, batch: number, total: number): Promise<number> {
  const backend = RemoteBackend.fromEndpointFile(`${agentDir}/endpoint.json`, {
    modules: { fixtures },
    maxBatch: batch,
  });
  const flow = await WorkflowEngine.create({ backend });
  const noop = flow.functionTask(echo);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: total }, (_, i) => noop(i)));
  const ms = performance.now() - t0;
  await flow.shutdown();
  return total / (ms / 1000);
}

const rounds = quick ? 3 : 7;
console.log(`plain HTTP vs pinned HTTPS, loopback (${runtime}, ${rounds} rounds, interleaved)`);
console.log("batch | tasks | plain tasks/s (range) | pinned tasks/s (range) | pinned/plain");
console.log("----: | ----: | --------------------: | ---------------------: | -----------:");
for (const batch of quick ? [1, 4096] : [1, 64, 4096]) {
  const total = batch === 1 ? (quick ? 500 : 2000) : (quick ? 4096 : 20_000);
  await endToEnd(plain.dir, batch, Math.min(total, 500)); // warm both paths up
  await endToEnd(pinned.dir, batch, Math.min(total, 500));
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < rounds; r++) {
    a.push(await endToEnd(plain.dir, batch, total));
    b.push(await endToEnd(pinned.dir, batch, total));
  }
  console.log(
    `${String(batch).padStart(5)} | ${String(total).padStart(5)} | ${
      `${median(a).toFixed(0)} (${spread(a)})`.padStart(21)
    } | ${`${median(b).toFixed(0)} (${spread(b)})`.padStart(22)} | ${
      (median(b) / median(a)).toFixed(2).padStart(12)
    }`,
  );
}
await plain.close();
await pinned.close();
