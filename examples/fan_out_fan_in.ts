/**
 * Fan-out / fan-in: one task's result feeds 1,000 independent tasks, whose
 * futures are passed as one array to a final reduction. No await until the end:
 * the engine starts each task as soon as its inputs are ready.
 *
 * Run: deno run -A examples/fan_out_fan_in.ts
 */
import { WorkflowEngine } from "../mod.ts";

await using flow = await WorkflowEngine.create();

const seed = flow.functionTask(function seed() {
  return 12345;
});
const sample = flow.functionTask(function sample(seed: number, i: number) {
  // A tiny deterministic pseudo-random walk per sample.
  let x = (seed * (i + 1)) % 2147483647;
  for (let k = 0; k < 100; k++) x = (x * 48271) % 2147483647;
  return x / 2147483647;
});
const mean = flow.functionTask(function mean(xs: number[]) {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
});

const s = seed();
const samples = Array.from({ length: 1000 }, (_, i) => sample(s, i));
const start = performance.now();
console.log(`mean of ${samples.length} samples: ${(await mean(samples)).toFixed(4)}`);
console.log(`in ${(performance.now() - start).toFixed(1)} ms; stats:`, flow.stats());
