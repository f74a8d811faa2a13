/**
 * What measuring each command's CPU time and peak memory costs (`LocalBackend({ measureUsage })`):
 * `/bin/true` run N times with and without it, in alternating rounds, beside bare
 * `child_process.spawn` measured in the same run as the floor.
 *
 * Run (each runtime): `deno run -A bench/command_usage.ts`, `bun bench/command_usage.ts`,
 * `node bench/command_usage.ts`. Prints the median and range per round, in ms per command.
 */
import { spawn } from "node:child_process";
import process from "node:process";
import { LocalBackend, WorkflowEngine } from "../mod.ts";
import { median, spread } from "./stats.ts";

const N = 300;
const ROUNDS = 7;

async function engineRound(measureUsage: boolean): Promise<number> {
  await using flow = await WorkflowEngine.create({
    backends: [new LocalBackend({ measureUsage, processes: 2 })],
  });
  const t = flow.executableTask(() => ["/bin/true"]);
  const start = performance.now();
  await Promise.all(Array.from({ length: N }, () => t()));
  return (performance.now() - start) / N;
}

async function bareRound(): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < N; i += 2) {
    await Promise.all(
      [0, 1].map(() =>
        new Promise((resolve) => spawn("/bin/true", { stdio: "ignore" }).on("close", resolve))
      ),
    );
  }
  return (performance.now() - start) / N;
}

const runs: Record<string, number[]> = { bare: [], off: [], on: [] };
for (let r = 0; r < ROUNDS; r++) {
  runs.bare!.push(await bareRound());
  // Alternating which goes first, so neither always runs on the other's leftovers.
  for (const on of r % 2 === 0 ? [false, true] : [true, false]) {
    runs[on ? "on" : "off"]!.push(await engineRound(on));
  }
}
const row = (name: string) => {
  const xs = runs[name]!;
  return `${name.padEnd(5)} median ${median(xs).toFixed(3)} ms/command ` +
    `(${spread(xs, 3)})`;
};
console.log(`${process.argv0}: ${N} × /bin/true, 2 at a time, ${ROUNDS} rounds`);
for (const name of ["bare", "off", "on"]) console.log(row(name));
console.log(`on/off ${(median(runs.on!) / median(runs.off!)).toFixed(3)}`);
