/**
 * An agent at scale, through the real client (`RemoteBackend` under the engine), with the agent
 * in a process of its own so that its memory is its own:
 *
 * 1. one session, 100k no-op function tasks sent in waves of 2,000: per wave, the cost per task
 *    end to end, the agent's RSS, and the event delivery lag (from the moment the task ran on
 *    the agent, `Date.now()` in its result, to the moment its future resolved here: the event's
 *    journaling, coalescing, stream and the client's handling; both clocks are this machine's);
 * 2. the agent killed (SIGKILL) with that session still open, and started again on its
 *    directory: the time its journal replay takes before it serves;
 * 3. 50 client sessions at once, 2k tasks each, on a fresh agent: errors and lost events (a
 *    future that never resolves, within a generous bound) must both be zero.
 *
 * Bounded: every phase has a deadline and the bench ends by itself. Not part of the tests.
 *
 *     deno run -A bench/agent_scale.ts | bun bench/agent_scale.ts | node bench/agent_scale.ts
 *     (--quick: 20k tasks, 10 sessions × 500; --sessions: only the many sessions)
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import process from "node:process";
import { startAgent } from "../agent/mod.ts";
import { RemoteBackend } from "../backends/remote/mod.ts";
import { WorkflowEngine } from "../mod.ts";
import { runtime } from "../src/host/runtime.ts";
import { stamp } from "./agent_scale_tasks.ts";
import { median } from "./stats.ts";

const tasksModule = new URL("./agent_scale_tasks.ts", import.meta.url);

interface Served {
  child: ChildProcess;
  url: string;
  token: string;
  startMs: number;
}

/** Starts an agent process on `dir`; resolves once it serves. */
function serve(dir: string): Promise<Served> {
  const self = new URL(import.meta.url).pathname;
  const [cmd, args] = runtime === "deno"
    ? [process.execPath, ["run", "-A", self, "--serve", dir]]
    : [process.execPath, [self, "--serve", dir]];
  const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let text = "";
    child.stdout!.on("data", (chunk: Uint8Array) => {
      text += new TextDecoder().decode(chunk);
      if (text.includes("\n")) resolve({ child, ...JSON.parse(text) });
    });
    child.once("exit", (code) => reject(new Error(`the agent exited (${code}) before serving`)));
  });
}

/** The resident memory of a process, in MB (Linux). */
function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) =>
    l.startsWith("VmRSS:")
  );
  return Number(line?.split(/\s+/)[1] ?? NaN) / 1024;
}

/** Rejects after `ms`: no phase runs unbounded. */
function deadline<T>(what: string, ms: number, work: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not end within ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** Phases 1 and 2: one session of `total` tasks in waves, then a restart; the replay's ms. */
async function oneSession(total: number, wave: number, quick: boolean): Promise<{
  waves: { done: number; usPerTask: number; rssMb: number; lagMs: number; lagMaxMs: number }[];
  replayMs: number;
}> {
  const TOTAL = total;
  const WAVE = wave;
  // ---- 1. one session, TOTAL tasks in waves
  const dir = mkdtempSync(`${tmpdir()}/asyncflow-scale-`);
  const first = await serve(dir);
  const backend = new RemoteBackend({
    url: first.url,
    token: first.token,
    modules: { scale: tasksModule },
  });
  const flow = await WorkflowEngine.create({ backend });
  const task = flow.functionTask(stamp);
  const waves: {
    done: number;
    usPerTask: number;
    rssMb: number;
    lagMs: number;
    lagMaxMs: number;
  }[] = [];
  const rss0 = rssMb(first.child.pid!);
  await deadline(
    "one session",
    quick ? 120_000 : 600_000,
    (async () => {
      for (let done = 0; done < TOTAL; done += WAVE) {
        const lags: number[] = [];
        const t0 = performance.now();
        await Promise.all(
          Array.from({ length: WAVE }, () => task().then((ranAt) => lags.push(Date.now() - ranAt))),
        );
        const ms = performance.now() - t0;
        waves.push({
          done: done + WAVE,
          usPerTask: (ms * 1000) / WAVE,
          rssMb: rssMb(first.child.pid!),
          lagMs: median(lags),
          lagMaxMs: Math.max(...lags),
        });
      }
    })(),
  );
  console.log("\n| tasks done | µs per task | agent RSS MB | event lag median ms | max ms |");
  console.log("|---|---|---|---|---|");
  for (
    const w of waves.filter((_, i) =>
      i % Math.max(1, waves.length / 10 | 0) === 0 || i === waves.length - 1
    )
  ) {
    console.log(
      `| ${w.done} | ${w.usPerTask.toFixed(1)} | ${
        w.rssMb.toFixed(0)
      } | ${w.lagMs} | ${w.lagMaxMs} |`,
    );
  }
  const early = waves.slice(1, 6);
  const late = waves.slice(-5);
  const perTask = (ws: typeof waves) => median(ws.map((w) => w.usPerTask));
  const lastRss = waves.at(-1)!.rssMb;
  const midRss = waves[Math.floor(waves.length / 2)]!.rssMb;
  const growthPerTask = ((lastRss - midRss) * 1024 * 1024) / (TOTAL / 2);
  console.log(
    `\ncost per task: ${perTask(early).toFixed(1)} µs (waves 2-6) → ${
      perTask(late).toFixed(1)
    } µs (last 5); agent RSS ${rss0.toFixed(0)} → ${lastRss.toFixed(0)} MB, ` +
      `${growthPerTask.toFixed(0)} B per finished task over the second half`,
  );

  // ---- 2. kill the agent with the session open; time the replay of a new one on its directory
  first.child.kill("SIGKILL");
  await new Promise((resolve) => first.child.once("exit", resolve));
  await flow.shutdown().catch(() => {}); // its agent is gone: only the local side ends
  const replayed = await deadline("the restart", 120_000, serve(dir));
  console.log(
    `restart after ${TOTAL} tasks: the new agent served after ${replayed.startMs.toFixed(0)} ms ` +
      `(journal replay included), RSS ${rssMb(replayed.child.pid!).toFixed(0)} MB`,
  );
  replayed.child.stdin!.end();
  await new Promise((resolve) => replayed.child.once("exit", resolve));
  rmSync(dir, { recursive: true, force: true });

  return { waves, replayMs: replayed.startMs };
}

async function main(): Promise<void> {
  const quick = process.argv.includes("--quick");
  const TOTAL = quick ? 20_000 : 100_000;
  const WAVE = 2_000;
  const SESSIONS = quick ? 10 : 50;
  const PER_SESSION = quick ? 500 : 2_000;
  console.log(
    `asyncflow agent at scale — ${runtime}, ${cpus().length} × ${cpus()[0]?.model ?? "?"}, ` +
      `load ${loadavg().map((l) => l.toFixed(1)).join(" ")}`,
  );

  const sessionsOnly = process.argv.includes("--sessions");
  const single = sessionsOnly ? undefined : await oneSession(TOTAL, WAVE, quick);

  // ---- 3. SESSIONS client sessions at once, PER_SESSION tasks each
  const dir2 = mkdtempSync(`${tmpdir()}/asyncflow-scale-`);
  const agent = await serve(dir2);
  let errors = 0;
  let lost = 0;
  const why = new Map<string, number>(); // each distinct error, with how many tasks had it
  const t0 = performance.now();
  await Promise.all(Array.from({ length: SESSIONS }, async () => {
    const flow = await WorkflowEngine.create({
      backend: new RemoteBackend({
        url: agent.url,
        token: agent.token,
        modules: { scale: tasksModule },
      }),
    });
    const task = flow.functionTask(stamp);
    const results = await Promise.allSettled(
      Array.from(
        { length: PER_SESSION },
        () =>
          deadline("a task", 300_000, task()).catch((error: Error) => {
            if (/did not end/.test(error.message)) lost++;
            throw error;
          }),
      ),
    );
    for (const r of results) {
      if (r.status === "fulfilled") continue;
      errors++;
      const message = String((r.reason as Error)?.message ?? r.reason).slice(0, 300);
      why.set(message, (why.get(message) ?? 0) + 1);
    }
    await flow.shutdown();
  }));
  const ms = performance.now() - t0;
  console.log(
    `${SESSIONS} sessions × ${PER_SESSION} tasks at once: ${
      ((SESSIONS * PER_SESSION) / (ms / 1000)).toFixed(0)
    } tasks/s, ${errors} errors, ${lost} lost, agent RSS ${rssMb(agent.child.pid!).toFixed(0)} MB`,
  );
  for (const [message, n] of why) console.log(`  ${n} × ${message}`);
  agent.child.stdin!.end();
  await new Promise((resolve) => agent.child.once("exit", resolve));
  rmSync(dir2, { recursive: true, force: true });
  console.log(
    JSON.stringify({
      bench: "agent_scale",
      runtime,
      quick,
      waves: single?.waves,
      replayMs: single?.replayMs,
      sessions: { count: SESSIONS, tasks: PER_SESSION, ms, errors, lost },
    }),
  );
}

// ---- the agent's process: started by this same file with `--serve DIR`
if (process.argv.includes("--serve")) {
  const dir = process.argv[process.argv.indexOf("--serve") + 1]!;
  const t0 = performance.now();
  const agent = await startAgent({ modules: { scale: tasksModule }, cores: 2, dir });
  const startMs = performance.now() - t0;
  process.stdout.write(JSON.stringify({ url: agent.url, token: agent.token, startMs }) + "\n");
  process.stdin.on("data", () => {}); // ends with the bench
  process.stdin.on("end", () => agent.close().then(() => process.exit(0)));
} else {
  await main();
}
