/**
 * `/bin/true` commands through `LocalBackend`, 4 at a time, round by round in one process: through
 * the compiled launcher, through the Perl launcher, by a spawn each, and as a shell string (the
 * form the Python original runs), beside the `posix_spawn` floor of each round. With
 * `--original <radical.asyncflow checkout>/src`, the Python original (`bench/original_commands.py`,
 * on `--python`) takes its turn in every round too. Prints, per case, the median and spread of
 * commands/s and the medians of its per-round ratios to the floor and to the original: on a shared
 * machine whose speed drifts from minute to minute, a ratio within one round is what carries over.
 *
 *     deno run -A bench/commands.ts | bun bench/commands.ts | node bench/commands.ts
 *     (--rounds N, default 7; --tasks N per round, default 1000; --original path; --python
 *     the interpreter that has the original's dependencies, default python3)
 */
import { spawnSync } from "node:child_process";
import process from "node:process";
import { parseArgs } from "node:util";
import { LocalBackend, WorkflowEngine } from "../mod.ts";
import { runtime } from "../src/host/runtime.ts";
import { spawnFloor } from "./spawn_floor.ts";
import { median, spread } from "./stats.ts";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "7" },
    tasks: { type: "string", default: "1000" },
    original: { type: "string" },
    python: { type: "string", default: "python3" },
  },
});
const rounds = Number(values.rounds);
const tasks = Number(values.tasks);

/** `tasks` commands through an engine on `LocalBackend` (4 at once), per second. */
async function throughEngine(
  launcher: "compiled" | "perl" | false,
  command: string | string[],
): Promise<number> {
  if (launcher) process.env.ASYNCFLOW_LAUNCHER = launcher;
  await using flow = await WorkflowEngine.create({
    backend: new LocalBackend({ processes: 4, launcher: launcher !== false }),
  });
  const tru = flow.executableTask(() => command);
  await Promise.all(Array.from({ length: 20 }, () => tru())); // the launcher is up
  const t0 = performance.now();
  await Promise.all(Array.from({ length: tasks }, () => tru()));
  return tasks / ((performance.now() - t0) / 1000);
}

/** The Python original's commands per second, in a process of its own. */
function original(src: string): number {
  const script = new URL("./original_commands.py", import.meta.url).pathname;
  const run = spawnSync(values.python, [script, src, String(tasks)], { encoding: "utf8" });
  const rate = Number(run.stdout.trim());
  if (run.status !== 0 || !(rate > 0)) {
    throw new Error(`the original did not run (exit ${run.status}): ${run.stderr.slice(-2_000)}`);
  }
  return rate;
}

const cases: [string, () => Promise<number>][] = [
  ["compiled launcher", () => throughEngine("compiled", ["/bin/true"])],
  ["Perl launcher", () => throughEngine("perl", ["/bin/true"])],
  ["a spawn each", () => throughEngine(false, ["/bin/true"])],
  ["compiled launcher, the shell string '/bin/true'", () => throughEngine("compiled", "/bin/true")],
];
const src = values.original;
if (src !== undefined) {
  cases.push([
    "radical.asyncflow 0.5 (Python), the shell string",
    () => Promise.resolve(original(src)),
  ]);
}

const rates = cases.map(() => [] as number[]);
const toFloor = cases.map(() => [] as number[]);
const toOriginal = cases.map(() => [] as number[]);
const floors: number[] = [];
for (let r = 0; r < rounds; r++) {
  // Each round in another order, so that a drift of the machine's load favours no case.
  const round: number[] = [];
  for (const i of cases.map((_, i) => (i + r) % cases.length)) round[i] = await cases[i]![1]();
  const floor = spawnFloor(tasks);
  if (floor !== undefined) floors.push(floor);
  round.forEach((rate, i) => {
    rates[i]!.push(rate);
    if (floor !== undefined) toFloor[i]!.push(rate / floor);
    if (src !== undefined) toOriginal[i]!.push(rate / round[cases.length - 1]!);
  });
}
delete process.env.ASYNCFLOW_LAUNCHER;

const ratio = (xs: number[]) =>
  xs.length === 0 ? "" : `${median(xs).toFixed(2)} (${spread(xs, 2)})`;
console.log(`/bin/true, 4 at once, ${runtime}, ${rounds} rounds of ${tasks}`);
console.log("case | commands/s median | min–max | to the floor | to the original");
cases.forEach(([name], i) => {
  console.log(
    `${name} | ${median(rates[i]!).toFixed(0)} | ${spread(rates[i]!)} | ${ratio(toFloor[i]!)} | ${
      ratio(toOriginal[i]!)
    }`,
  );
});
if (floors.length > 0) {
  console.log(
    `floor: a C loop of posix_spawn, 4 at once | ${median(floors).toFixed(0)} | ${spread(floors)}`,
  );
}
