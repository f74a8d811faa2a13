/**
 * `/bin/true` through a pilot agent on loopback and through a node executor, started through the
 * launcher (the default on Node and Deno) and by a spawn each (`launcher: false`, what the agent
 * did before), interleaved round by round in one process, beside the `posix_spawn` floor measured
 * in the same run. With `--old <tree>`, an agent of another checkout (its `agent/mod.ts`) takes its
 * turn too. Prints, per case, the median and the spread (min–max) of commands/s, and the median of
 * the per-round ratios to the first case.
 *
 *     deno run -A bench/remote_launcher.ts | bun bench/remote_launcher.ts | node bench/remote_launcher.ts
 *     (--rounds N, default 7; --tasks N per round, default 400; --old ../old-tree)
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { startAgent } from "../agent/mod.ts";
import { executorEntry, NodeExecutor } from "../agent/executor/node_executor.ts";
import { RemoteBackend } from "../backends/remote/mod.ts";
import { WorkflowEngine } from "../mod.ts";
import { runtime } from "../src/host/runtime.ts";
import { spawnFloor } from "./spawn_floor.ts";
import { median, spread } from "./stats.ts";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "7" },
    tasks: { type: "string", default: "400" },
    old: { type: "string" },
  },
});
const rounds = Number(values.rounds);
const tasks = Number(values.tasks);
/** Commands at once: the agent's cores, the executor's calls in flight, the floor's loop. */
const AT_ONCE = 4;

type Agent = { url: string; token: string; close(): Promise<void> };

/** `tasks` commands through an agent, end to end (submit, run, events), per second. */
async function throughAgent(agent: Agent): Promise<number> {
  await using flow = await WorkflowEngine.create({
    backend: new RemoteBackend({ url: agent.url, token: agent.token, maxBatch: 64 }),
  });
  const tru = flow.executableTask(() => ["/bin/true"]);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: tasks }, () => tru()));
  return tasks / ((performance.now() - t0) / 1000);
}

/** `tasks` commands through a node executor, `AT_ONCE` at a time, per second. */
async function throughExecutor(ex: NodeExecutor): Promise<number> {
  let next = 0;
  const lane = async () => {
    while (next++ < tasks) {
      const o = await ex.spawn({ command: ["/bin/true"], maxBufferBytes: 1 << 20 }).exited;
      if (o.exitCode !== 0) throw new Error(`/bin/true exited with ${o.exitCode}: ${o.stderr}`);
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: AT_ONCE }, lane));
  return tasks / ((performance.now() - t0) / 1000);
}

const cases: [string, () => Promise<number>][] = [];
const closers: (() => Promise<void>)[] = [];
for (const launcher of [true, false]) {
  const agent = await startAgent({ cores: AT_ONCE, launcher });
  closers.push(() => agent.close());
  cases.push([`agent, ${launcher ? "launcher" : "a spawn each"}`, () => throughAgent(agent)]);
}
if (values.old !== undefined) {
  const url = pathToFileURL(resolve(values.old, "agent/mod.ts")).href;
  const old = await import(url) as typeof import("../agent/mod.ts");
  const agent = await old.startAgent({ cores: AT_ONCE });
  closers.push(() => agent.close());
  cases.push([`agent of ${values.old}`, () => throughAgent(agent)]);
}
for (const launcher of [true, false]) {
  const ex = await NodeExecutor.start("local", [
    ...executorEntry(),
    ...["--launcher", launcher ? "on" : "off"],
  ]);
  closers.push(() => ex.close());
  cases.push([
    `node executor, ${launcher ? "launcher" : "a spawn each"}`,
    () => throughExecutor(ex),
  ]);
}

const rates = cases.map(() => [] as number[]);
const ratios = cases.map(() => [] as number[]);
const floors: number[] = [];
for (let r = 0; r < rounds; r++) {
  // Each round in another order, so that a drift of the machine's load favours no case.
  const order = cases.map((_, i) => (i + r) % cases.length);
  const round: number[] = [];
  for (const i of order) round[i] = await cases[i]![1]();
  const floor = spawnFloor(tasks);
  if (floor !== undefined) floors.push(floor);
  round.forEach((rate, i) => {
    rates[i]!.push(rate);
    ratios[i]!.push(rate / round[0]!);
  });
}
for (const close of closers) await close();

const floor = floors.length > 0 ? median(floors) : undefined;
console.log(
  `/bin/true through the agent (loopback, ${AT_ONCE} cores) and a node executor ` +
    `(${AT_ONCE} at once), ${runtime}, ${rounds} rounds of ${tasks}`,
);
console.log(`case | commands/s median | min–max | ratio to '${cases[0]![0]}' | to the floor`);
cases.forEach(([name], i) => {
  const m = median(rates[i]!);
  const toFloor = floor === undefined ? "" : `${(m / floor).toFixed(2)}×`;
  console.log(
    `${name} | ${m.toFixed(0)} | ${spread(rates[i]!)} | ${
      median(ratios[i]!).toFixed(2)
    } | ${toFloor}`,
  );
});
if (floor !== undefined) {
  console.log(
    `floor: a C loop of posix_spawn, 4 at once | ${floor.toFixed(0)} | ${spread(floors)}`,
  );
}
