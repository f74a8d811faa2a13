/**
 * Same-process A/B of the JSONL writers of several trees: each tree's `agent/journal.ts` and
 * `cli/run/trace_writer.ts` are loaded into this process and the trees take turns, round by
 * round (the order alternating). A journal round is what the agent writes for 20k tasks: a
 * `commit` of each batch of 100 task lines (as a `POST …/tasks` does), then their `running`
 * and `done` events, appended and flushed once per turn. A trace round is 20k tasks' four events
 * through a `TraceWriter`, then `close()`. Rounds are timed in CPU time of this process (less
 * disturbed by other jobs than wall time). Prints per tree the median µs per task and its
 * spread, and the median of the per-round ratios to the first tree.
 *
 * Run (each runtime), with the old tree checked out elsewhere
 * (`git archive <commit> | tar -x -C /tmp/old`, and its `node_modules` linked):
 *   deno run -A bench/jsonl_ab.ts 15 old=/tmp/old new=.
 *   node bench/jsonl_ab.ts 15 old=/tmp/old new=.
 *   bun bench/jsonl_ab.ts 15 old=/tmp/old new=.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { resolve } from "node:path";
import process from "node:process";
import { pathToFileURL } from "node:url";
import { median, spread } from "./stats.ts";

type JournalModule = typeof import("../agent/journal.ts");
type TraceModule = typeof import("../cli/run/trace_writer.ts");

const TASKS = 20_000;
const BATCH = 100;

const [roundsText, ...treeArgs] = process.argv.slice(2);
const rounds = Number(roundsText);
if (!Number.isInteger(rounds) || rounds < 1 || treeArgs.length < 2) {
  console.error("usage: jsonl_ab.ts ROUNDS name=path/to/tree name=path/to/tree [...]");
  process.exit(2);
}
const trees: { name: string; journal: JournalModule; trace: TraceModule }[] = [];
for (const arg of treeArgs) {
  const [name, dir] = arg.split("=");
  const url = (file: string) => pathToFileURL(resolve(dir!, file)).href;
  trees.push({
    name: name!,
    journal: await import(url("agent/journal.ts")) as JournalModule,
    trace: await import(url("cli/run/trace_writer.ts")) as TraceModule,
  });
}

const sid = "a".repeat(32);
const taskLine = (n: number) =>
  `{"t":"task","sid":"${sid}","n":${n},"task":{"id":"t${n}","kind":"function",` +
  `"fn":{"module":"fixtures","export":"echo"},"args":[${n}]}}`;
const eventLine = (seq: number, n: number, state: string) =>
  `{"t":"ev","sid":"${sid}","e":{"seq":${seq},"id":"t${n}","state":"${state}","time":${seq}}}`;
const nextTurn = () => new Promise<void>((r) => setImmediate(r));

/** The CPU time of `work`, in µs per task. */
async function cpu(work: () => Promise<void>): Promise<number> {
  const t0 = process.cpuUsage();
  await work();
  const t = process.cpuUsage(t0);
  return (t.user + t.system) / TASKS;
}

async function journalRound(m: JournalModule, dir: string): Promise<number> {
  const path = `${dir}/journal.jsonl`;
  rmSync(path, { force: true }); // each round starts a new journal: no replay in the next one
  const { journal } = m.Journal.open(path);
  const us = await cpu(async () => {
    journal.commit([`{"t":"open","sid":"${sid}","client":"","hb":1000,"at":0}`]);
    let seq = 0;
    for (let first = 1; first <= TASKS; first += BATCH) {
      const ns = Array.from({ length: BATCH }, (_, i) => first + i);
      journal.commit(ns.map(taskLine));
      for (const n of ns) journal.append(eventLine(++seq, n, "running"));
      await nextTurn();
      for (const n of ns) journal.append(eventLine(++seq, n, "done"));
      await nextTurn();
    }
    journal.close();
  });
  return us;
}

async function traceRound(m: TraceModule, dir: string): Promise<number> {
  const trace = new m.TraceWriter(`${dir}/run.jsonl`);
  return await cpu(async () => {
    for (let n = 1; n <= TASKS; n++) {
      const uid = `task.${String(n).padStart(6, "0")}`;
      for (const type of ["created", "queued", "running", "done"] as const) {
        trace.write({ type, time: n, uid, name: "step", kind: "function", workflowId: "main" });
      }
      if (n % BATCH === 0) await Promise.resolve();
    }
    trace.close();
  });
}

const results = new Map<string, { journal: number[]; trace: number[] }>(
  trees.map((t) => [t.name, { journal: [], trace: [] }]),
);
const dir = mkdtempSync(`${tmpdir()}/asyncflow-jsonl-bench-`);
try {
  for (let r = 0; r < rounds + 1; r++) {
    const order = r % 2 === 0 ? trees : [...trees].reverse();
    for (const t of order) {
      const j = await journalRound(t.journal, dir);
      const w = await traceRound(t.trace, dir);
      if (r === 0) continue; // warm-up
      results.get(t.name)!.journal.push(j);
      results.get(t.name)!.trace.push(w);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const runtime = typeof Deno !== "undefined" ? "deno" : "Bun" in globalThis ? "bun" : "node";
console.log(`${runtime}, ${rounds} rounds of ${TASKS} tasks (CPU µs per task)`);
const base = results.get(trees[0]!.name)!;
for (const [name, r] of results) {
  for (const what of ["journal", "trace"] as const) {
    const xs = r[what];
    const ratios = xs.map((x, i) => x / base[what][i]!);
    console.log(
      `${name.padEnd(6)} ${what.padEnd(8)} median ${median(xs).toFixed(2)} ` +
        `(${spread(xs, 2)}), ` +
        `ratio to ${trees[0]!.name} ${median(ratios).toFixed(3)} ` +
        `(${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)})`,
    );
  }
}
