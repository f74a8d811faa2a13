/**
 * Campaigns: three independent campaigns of four dependent steps each, run
 * concurrently (the first reference page of the original's documentation).
 *
 * Run: deno run -A examples/campaigns.ts   (or: bun examples/campaigns.ts, node examples/campaigns.ts)
 * Ideal time: 4 steps × 0.5 s = 2.0 s (the original's documented log shows 4.05 s).
 */
import { WorkflowEngine } from "../mod.ts";

const stamp = () => (Date.now() / 1000).toFixed(2);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

await using flow = await WorkflowEngine.create();

const workflowStep = flow.functionTask(async function workflowStep(name: string, step: number) {
  const now = Date.now() / 1000;
  console.log(`[${stamp()}] ${name} - Step ${step} started`);
  await sleep(500); // simulate work
  console.log(`[${stamp()}] ${name} - Step ${step} completed`);
  return now;
});

const campaign = flow.block(async function campaign(name: string) {
  for (let step = 1; step <= 4; step++) await workflowStep(name, step);
  console.log(`${name} completed at ${stamp()}`);
});

const start = performance.now();
await Promise.all([campaign("Campaign A"), campaign("Campaign B"), campaign("Campaign C")]);
const seconds = (performance.now() - start) / 1000;
console.log(`\nTotal time running asynchronously is: ${seconds.toFixed(2)}s`);
