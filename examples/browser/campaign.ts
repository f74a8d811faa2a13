/// <reference lib="dom" />
/**
 * The seed campaign in a browser page: three campaigns of four steps, run concurrently by the
 * engine, with each campaign's progress shown on the page from the engine's events. Bundled and
 * served by `serve.ts`.
 *
 * Browsers have no async context, so each block body takes its scope before its first `await`
 * and makes the calls after it through `scope.run` (docs/scopes.md): then a campaign owns its
 * steps here as on Deno, Bun and Node.
 */
import { WorkflowEngine } from "@asyncflow/asyncflow";

const STEPS = 4;
const STEP_MS = 250;
const list = document.getElementById("campaigns")!;
const status = document.getElementById("status")!;
const bars = new Map<string, { bar: HTMLProgressElement; label: HTMLElement }>();

for (const name of ["A", "B", "C"]) {
  const item = document.createElement("li");
  item.id = `campaign-${name}`;
  const label = document.createElement("span");
  const bar = document.createElement("progress");
  bar.max = STEPS;
  bar.value = 0;
  label.textContent = ` Campaign ${name}: 0/${STEPS}`;
  item.append(bar, label);
  list.append(item);
  bars.set(name, { bar, label });
}

const flow = await WorkflowEngine.create();
const step = flow.functionTask(async function step(campaign: string, n: number) {
  await new Promise((resolve) => setTimeout(resolve, STEP_MS));
  return { campaign, n };
});
// Progress comes from the event stream: every finished step moves its campaign's bar.
flow.subscribe((event) => {
  // A step is named under its campaign's block: `campaign[A]/step`.
  if (event.type !== "done" || !event.name.endsWith("/step")) return;
  const { campaign, n } = JSON.parse(event.value ?? "{}") as { campaign: string; n: number };
  const shown = bars.get(campaign)!;
  shown.bar.value = n;
  shown.label.textContent = ` Campaign ${campaign}: ${n}/${STEPS}${n === STEPS ? " ✓" : ""}`;
});
const campaign = flow.block(async function campaign(name: string) {
  const scope = flow.scope(); // before the first await
  for (let n = 1; n <= STEPS; n++) await scope.run(() => step(name, n));
  return name;
});

const t0 = performance.now();
const done = await Promise.all(["A", "B", "C"].map((name) => campaign(name)));
const seconds = ((performance.now() - t0) / 1000).toFixed(2);
status.textContent = `done: campaigns ${done.join(", ")} in ${seconds} s ` +
  `(${STEPS} steps of ${STEP_MS} ms each, concurrently)`;
status.dataset.done = "true";
await flow.shutdown();
