/**
 * Workflow of campaigns: second-tier campaigns depend on first-tier ones, and
 * Campaign D depends on both A1 and B1 (the second reference page of the
 * original's documentation, with its "Advanced Usage" section).
 *
 * Run: deno run -A examples/workflow_of_campaigns.ts
 * Ideal time: 2 tiers × 4 steps × 0.5 s = 4.0 s (the original takes 4.6 s here).
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

// Passing an upstream campaign's future as an argument makes it a dependency:
// the engine starts this block only when every upstream campaign has finished.
const campaign = flow.block(async function campaign(name: string, ..._upstream: unknown[]) {
  for (let step = 1; step <= 4; step++) await workflowStep(name, step);
  console.log(`[${stamp()}] ${name} completed`);
});

const start = performance.now();

// Tier 1: independent campaigns.
const a1 = campaign("Campaign A1");
const b1 = campaign("Campaign B1");
const c1 = campaign("Campaign C1");

// Tier 2: each waits for its tier-1 campaign; D waits for both A1 and B1.
const a2 = campaign("Campaign A2", a1);
const b2 = campaign("Campaign B2", b1);
const c2 = campaign("Campaign C2", c1);
const d = campaign("Campaign D", a1, b1);

await Promise.all([a2, b2, c2, d]);
const seconds = (performance.now() - start) / 1000;
console.log(`\nTotal time running asynchronously is: ${seconds.toFixed(2)}s`);
