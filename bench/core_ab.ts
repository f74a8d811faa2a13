/**
 * Same-process A/B of engines from several trees: each tree's `mod.ts` is
 * loaded into this process and the trees take turns, round by round (the
 * order alternating), on a 10k-task chain and 1k blocks of 10 tasks, with the
 * NoopBackend and the LocalBackend. A round is measured in CPU time of this
 * process, which other jobs on a loaded machine disturb less than wall time.
 * Prints, per tree, the median and spread, and the median of the per-round
 * ratios to the first tree (the baseline).
 *
 * Run (each runtime), with the old engine checked out elsewhere
 * (`git worktree add /tmp/old-core 16047b1`):
 *   deno run -A bench/core_ab.ts 40 old=/tmp/old-core/mod.ts new=./mod.ts
 *   node bench/core_ab.ts 40 old=/tmp/old-core/mod.ts new=./mod.ts
 *   bun bench/core_ab.ts 40 old=/tmp/old-core/mod.ts new=./mod.ts
 * Not with --expose-gc and a forced GC per round: the young generation then
 * starts small every round and the scavenges it costs swamp the engine.
 */
import process from "node:process";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";
import { median } from "./stats.ts";

// Each tree's public module, as a user imports it.
type Engine = typeof import("../mod.ts");

const [roundsText, ...treeArgs] = process.argv.slice(2);
const rounds = Number(roundsText);
if (!Number.isInteger(rounds) || rounds < 1 || treeArgs.length < 2) {
  console.error("usage: core_ab.ts ROUNDS name=path/to/mod.ts name=path/to/mod.ts [...]");
  process.exit(2);
}
const trees: [string, Engine][] = [];
for (const arg of treeArgs) {
  const [name, path] = arg.split("=");
  trees.push([name!, await import(pathToFileURL(resolve(path!)).href) as Engine]);
}

async function chain(m: Engine, local: boolean): Promise<void> {
  await using flow = await m.WorkflowEngine.create({
    backend: local ? new m.LocalBackend() : new m.NoopBackend(),
  });
  // The NoopBackend resolves every task to a placeholder: the count is kept by the chain's length.
  const inc = flow.functionTask(function inc(n: unknown) {
    return typeof n === "number" ? n + 1 : 1;
  });
  let f = inc(0);
  for (let i = 1; i < 10_000; i++) f = inc(f);
  await f;
}

async function blocks(m: Engine, local: boolean): Promise<void> {
  await using flow = await m.WorkflowEngine.create({
    backend: local ? new m.LocalBackend() : new m.NoopBackend(),
  });
  const step = flow.functionTask((n: unknown) => n);
  const blk = flow.block(async (start: number) => {
    let x: unknown = start;
    for (let i = 0; i < 10; i++) x = await step(x);
    return x;
  });
  await Promise.all(Array.from({ length: 1000 }, (_, i) => blk(i)));
}

const cases: [string, (m: Engine) => Promise<void>][] = [
  ["10k-task chain, NoopBackend", (m) => chain(m, false)],
  ["10k-task chain, LocalBackend", (m) => chain(m, true)],
  ["1k blocks of 10, NoopBackend", (m) => blocks(m, false)],
  ["1k blocks of 10, LocalBackend", (m) => blocks(m, true)],
];

const cpuMs = async (run: () => Promise<void>) => {
  const start = process.cpuUsage();
  await run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
};

const report: Record<string, Record<string, { medianMs: number; ratio: number }>> = {};
for (const [label, run] of cases) {
  const ms = new Map(trees.map(([name]) => [name, [] as number[]]));
  for (const [, m] of trees) await run(m); // warm-up: every tree compiled before measuring
  for (let r = 0; r < rounds; r++) {
    for (const [name, m] of r % 2 ? trees : [...trees].reverse()) {
      ms.get(name)!.push(await cpuMs(() => run(m)));
    }
  }
  const base = ms.get(trees[0]![0])!;
  report[label] = {};
  const parts = trees.map(([name]) => {
    const xs = ms.get(name)!;
    const ratio = median(xs.map((x, i) => x / base[i]!));
    report[label]![name] = { medianMs: median(xs), ratio };
    return `${name} ${median(xs).toFixed(1)} ms (${Math.min(...xs).toFixed(1)}–${
      Math.max(...xs).toFixed(1)
    }) ×${ratio.toFixed(2)}`;
  });
  console.log(`${label}: ${parts.join(" | ")}`);
}
console.log(JSON.stringify({ bench: "core_ab", rounds, report }));
