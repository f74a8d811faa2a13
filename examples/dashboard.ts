/**
 * A 1,000-task campaign to watch on the live dashboard: 20 campaigns (blocks), each ten stages of
 * four analysis steps and one command, every stage waiting for the one before. Open the URL it
 * prints; the page follows the run, and stays up after it until Ctrl-C.
 *
 * Run: deno run -A examples/dashboard.ts        (or: bun / node examples/dashboard.ts)
 * Set ASYNCFLOW_DASHBOARD_EXIT=1 to exit as soon as the run ends.
 */
import process from "node:process";
import { LocalBackend, type TaskFuture, WorkflowEngine } from "../mod.ts";
import { serveDashboard } from "../dashboard/mod.ts";

// Commands measured as in a recorded run: the tables show their CPU time and peak memory.
await using flow = await WorkflowEngine.create({
  backends: [new LocalBackend({ measureUsage: true })],
});
await using dashboard = await serveDashboard(flow, { title: "1,000-task campaign" });
console.log(`dashboard: ${dashboard.url}`);

const failedOnce = new Set<string>();
const analyse = flow.functionTask(async function analyse(campaign: number, stage: number) {
  // Stands for real work: 100–500 ms; one stage in 17 fails its first attempt and is retried.
  const ms = 100 + ((campaign * 7 + stage * 13) % 5) * 100;
  await new Promise((resolve) => setTimeout(resolve, ms));
  const key = `${campaign}/${stage}`;
  if ((campaign + stage) % 17 === 0 && !failedOnce.has(key)) {
    failedOnce.add(key);
    throw new Error("transient failure");
  }
  return campaign * 100 + stage;
}, { retries: 1 });
const simulate = flow.executableTask(function simulate(..._inputs: number[]) {
  // A few milliseconds of CPU in a shell loop, then a short wait.
  return ["sh", "-c", "i=0; while [ $i -lt 5000 ]; do i=$((i+1)); done; sleep 0.05"];
});
const campaign = flow.block(async function campaign(id: number) {
  let previous: TaskFuture<unknown>[] = [];
  for (let stage = 0; stage < 10; stage++) {
    const steps = Array.from({ length: 4 }, () => analyse.with({ after: previous })(id, stage));
    previous = [...steps, simulate(...steps)];
    await Promise.all(previous);
  }
  return id;
});

const start = performance.now();
const done = await Promise.all(Array.from({ length: 20 }, (_, i) => campaign(i)));
console.log(
  `${done.length} campaigns, ${flow.stats().created} tasks and blocks in ` +
    `${((performance.now() - start) / 1000).toFixed(1)} s`,
);
dashboard.finish();
if (process.env.ASYNCFLOW_DASHBOARD_EXIT !== "1") {
  console.log("the run has ended; Ctrl-C stops the dashboard");
  await new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
}
