/**
 * A node executor: the small process the agent starts once per node, as a Slurm step. It forks
 * the single-rank commands the agent places on its node (through a launcher of its own where its
 * runtime's default says so), each in a process group of its own,
 * runs the function tasks placed there on Workers (`function_calls.ts`), reports how they ended,
 * and kills them on request. It talks over its stdin and stdout only
 * (no listener). When the agent goes silent or its stdin ends, it kills what it runs and exits:
 * a node cut off from the agent does not go on running work the agent has given up on.
 *
 * @module
 */
import { hostname } from "node:os";
import process from "node:process";
import { parseArgs } from "node:util";
import { host, type RunningProcess } from "../../src/host/mod.ts";
import { FunctionCalls } from "./function_calls.ts";
import {
  BEAT_MS,
  type CallMessage,
  callProblem,
  type FromExecutor,
  lineReader,
  type SpawnMessage,
  spawnProblem,
} from "./protocol.ts";

/** The agent is taken for gone after this long without a line from it. */
const AGENT_SILENCE_MS = 10 * BEAT_MS;

/**
 * Runs the executor on this process's stdin and stdout until the agent goes.
 *
 * @param args The executor's arguments: `--module name=url` for each of the agent's task modules,
 * `--workers n`, the most function calls at once (default 1), and `--launcher on|off`, whether
 * commands start through one long-lived launcher process (`Host.launch`; default: on Node and
 * Deno, not on Bun).
 * @returns The exit code: 0 when the agent closed the link, 1 when it fell silent or spoke wrongly.
 *
 * @example
 * ```ts ignore
 * import { runExecutor } from "./main.ts";
 * process.exit(await runExecutor());
 * ```
 */
export function runExecutor(args: readonly string[] = []): Promise<number> {
  const running = new Map<number, RunningProcess>();
  const send = (m: FromExecutor) => process.stdout.write(JSON.stringify(m) + "\n");
  const { modules, workers, launcher } = executorOptions(args);
  const calls = new FunctionCalls(modules, workers, send);
  let heard = Date.now();
  return new Promise((resolve) => {
    let ended = false;
    const end = (code: number, why?: string) => {
      if (ended) return;
      ended = true;
      if (why) console.error(`asyncflow executor on ${hostname()}: ${why}`);
      clearInterval(beat);
      for (const p of running.values()) p.kill();
      // Kill gives a 2 s grace before SIGKILL: wait for the commands, not for a timer.
      const gone = [...running.values()].map((p) => p.exited);
      void Promise.allSettled([...gone, calls.close()]).then(() => resolve(code));
    };
    const beat = setInterval(() => {
      if (Date.now() - heard > AGENT_SILENCE_MS) {
        end(1, `no word from the agent for ${AGENT_SILENCE_MS} ms; stopping its commands`);
      } else send({ t: "beat" });
    }, BEAT_MS);
    const feed = lineReader((m) => {
      heard = Date.now();
      if (m.t === "spawn") start(m as unknown as SpawnMessage);
      else if (m.t === "call") call(m as unknown as CallMessage);
      else if (m.t === "kill") kill((m as unknown as { id: number }).id);
      else if (m.t !== "ping") end(1, `unknown message type '${m.t}'`);
    }, (why) => end(1, `the agent sent ${why}`));
    // Slurm sends SIGTERM to every step when the job ends, the agent's too: the agent then
    // reports its tasks as cancelled by the job's end and closes this link, which ends the
    // executor. Dying here first would make the agent take the node for lost meanwhile. (The
    // commands get it too, often before the agent does: the agent asks Slurm about those.)
    process.on("SIGTERM", () => {});
    process.stdin.on("data", (chunk: Uint8Array) => feed(chunk));
    process.stdin.on("end", () => end(0));
    process.stdin.on("error", () => end(0));
    send({ t: "ready", node: process.env.SLURMD_NODENAME ?? hostname(), pid: process.pid });

    function kill(id: number): void {
      running.get(id)?.kill();
      calls.kill(id);
    }

    function call(m: CallMessage): void {
      const problem = callProblem(m);
      if (problem !== undefined || running.has(m.id) || calls.has(m.id)) {
        const message = problem ?? `call ${m.id} runs already`;
        send({ t: "threw", id: Number(m.id), error: { name: "TypeError", message } });
        return;
      }
      calls.call(m);
    }

    function start(m: SpawnMessage): void {
      const problem = spawnProblem(m);
      if (problem !== undefined || running.has(m.id) || calls.has(m.id)) {
        send({ t: "error", id: Number(m.id), message: problem ?? `command ${m.id} runs already` });
        return;
      }
      let p: RunningProcess;
      try {
        p = (launcher ? host.launch : host.spawn)({
          command: m.argv,
          ...(m.cwd !== undefined ? { cwd: m.cwd } : {}),
          ...(m.env !== undefined ? { env: m.env } : {}),
          maxBufferBytes: m.maxBufferBytes,
          measureUsage: true, // the agent records every command's CPU time and peak memory
        });
      } catch (error) {
        send({ t: "error", id: m.id, message: (error as Error).message });
        return;
      }
      running.set(m.id, p);
      p.exited.then(
        (o) => send({ t: "exit", id: m.id, ...o }),
        (error) => send({ t: "error", id: m.id, message: spawnError(error as Error, m) }),
      ).finally(() => running.delete(m.id));
    }
  });
}

/**
 * The message of a command that failed to run. The host's word for too much output points to
 * `captureOutput`, which cannot help here: through an executor a command's whole output travels
 * in its `exit` line, captured or not. So it says what can.
 */
function spawnError(error: Error, m: SpawnMessage): string {
  if (!/printed more than \d+ bytes/.test(error.message)) return error.message;
  return `the command ${JSON.stringify(m.argv.join(" ").slice(0, 200))} printed more than ` +
    `${m.maxBufferBytes} bytes to stdout or stderr, the most a node executor sends back, and ` +
    "was killed; write large outputs to a file on a filesystem the agent shares " +
    "(e.g. 'cmd > out.txt') and read them from there";
}

/**
 * The task modules, the number of Workers and whether commands start through a launcher, from
 * the executor's arguments.
 */
function executorOptions(
  args: readonly string[],
): { modules: Map<string, string>; workers: number; launcher: boolean } {
  const { values } = parseArgs({
    args: [...args],
    options: {
      module: { type: "string", multiple: true },
      workers: { type: "string" },
      launcher: { type: "string" },
    },
  });
  const launcher = values.launcher ?? (host.runtime !== "bun" ? "on" : "off");
  if (launcher !== "on" && launcher !== "off") {
    throw new TypeError(`--launcher must be 'on' or 'off', got '${launcher}'`);
  }
  const modules = new Map<string, string>();
  for (const m of values.module ?? []) {
    const eq = m.indexOf("=");
    if (eq < 1) throw new TypeError(`--module must be name=url, got '${m}'`);
    modules.set(m.slice(0, eq), m.slice(eq + 1));
  }
  const workers = Number(values.workers ?? 1);
  if (!Number.isSafeInteger(workers) || workers < 1) {
    throw new TypeError(`--workers must be a positive integer, got '${values.workers}'`);
  }
  return { modules, workers, launcher: launcher === "on" };
}

if (import.meta.main) process.exit(await runExecutor(process.argv.slice(2)));
