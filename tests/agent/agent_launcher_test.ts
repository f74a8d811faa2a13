/**
 * The agent and its node executors start commands through the host's launcher (a long-lived
 * process, src/host/launcher.ts) on Node and Deno: the command's parent is the launcher, its pid
 * still reaches the journal, a launcher that dies fails what ran on it clearly (a retry runs on a
 * new one), and a SIGTERM to the launcher (as Slurm sends to every process of a step) leaves the
 * commands to the agent. With `launcher: false` the agent is the command's parent.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import process from "node:process";
import { type TaskEvent, WorkflowEngine } from "../../mod.ts";
import { startAgent } from "../../agent/mod.ts";
import { executorEntry, NodeExecutor } from "../../agent/executor/node_executor.ts";
import { RemoteBackend } from "../../backends/remote/mod.ts";
import { alive, pidIn, waitFor } from "./helpers.ts";

const linux = existsSync("/proc/self/stat");
const perl = existsSync("/usr/bin/perl") || existsSync("/bin/perl");
const skip = !linux || !perl ? "needs Linux's /proc and Perl" : false;

/** Prints the shell's pid and its parent's (the process that started the command). */
const IDS = "echo $$ $PPID";

/** The parent of `pid`, from `/proc/<pid>/stat` (field 4). */
function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
}

function isLauncher(pid: number): boolean {
  return readFileSync(`/proc/${pid}/cmdline`, "utf8").startsWith("asyncflow-launcher");
}

/** An agent on loopback and an engine on it; `run` gets the engine and the agent's directory. */
async function withAgent<T>(
  launcher: boolean | undefined,
  run: (flow: WorkflowEngine, dir: string) => Promise<T>,
): Promise<T> {
  await using agent = await startAgent({
    cores: 2,
    ...(launcher === undefined ? {} : { launcher }),
  });
  await using flow = await WorkflowEngine.create({
    backend: new RemoteBackend({ url: agent.url, token: agent.token }),
  });
  return await run(flow, agent.dir);
}

describe("commands on the agent go through the launcher", { skip }, () => {
  it("a command's parent is the launcher by default on Node and Deno, the agent with launcher: false; its pid is journaled", async () => {
    const viaDefault = await withAgent(undefined, async (flow, dir) => {
      const [shell, parent] = (await flow.executableTask(() => IDS)()).split(" ").map(Number);
      // The pid came from the launcher's report, after the start: it is in the journal all the same.
      const pids = readFileSync(`${dir}/journal.jsonl`, "utf8").split("\n")
        .filter((l) => l.includes('"t":"pid"')).map((l) => JSON.parse(l).pid);
      assert.deepEqual(pids, [shell]);
      return parent!;
    });
    if (process.versions.bun === undefined) {
      assert.ok(isLauncher(viaDefault), `parent ${viaDefault} is the launcher`);
      assert.equal(parentOf(viaDefault), process.pid, "the agent started the launcher");
    } else assert.equal(viaDefault, process.pid, "Bun spawns each command: no launcher");
    const direct = await withAgent(false, async (flow) => {
      return Number((await flow.executableTask(() => IDS)()).split(" ")[1]);
    });
    assert.equal(direct, process.pid, "with launcher: false the agent spawns the command");
    const launched = await withAgent(true, async (flow) => {
      return Number((await flow.executableTask(() => IDS)()).split(" ")[1]);
    });
    assert.ok(isLauncher(launched), "launcher: true starts one on every runtime");
  });

  it("a launcher killed mid-run fails its command clearly and kills it; the retry runs on a new launcher", async () => {
    const tmp = mkdtempSync(`${tmpdir()}/asyncflow-agent-launcher-`);
    await withAgent(true, async (flow) => {
      const events: TaskEvent[] = [];
      flow.subscribe((e) => events.push(e));
      // The first attempt records its ids and sleeps; the retry says which launcher runs it.
      const task = flow.executableTask(
        () =>
          `if [ -e ${tmp}/first ]; then echo $PPID; else echo "$$ $PPID" > ${tmp}/first; exec sleep 30; fi`,
        { retries: 1 },
      );
      const result = task();
      // Its running event comes once the launcher reported its pid, which the agent then knows to
      // kill. (A launcher killed between a start and its report leaves that one command running.)
      const running = new Promise<void>((resolve) =>
        flow.subscribe((e) => e.type === "running" && resolve())
      );
      await pidIn(`${tmp}/first`);
      await running;
      const [sleeper, launcher] = readFileSync(`${tmp}/first`, "utf8").trim().split(" ").map(
        Number,
      );
      assert.ok(isLauncher(launcher!));
      process.kill(launcher!, "SIGKILL");
      const again = Number(await result);
      assert.notEqual(again, launcher, "a new launcher ran the retry");
      assert.ok(isLauncher(again));
      // Generous: on a loaded machine the launcher's end reaches the runtime late.
      await waitFor(() => !alive(sleeper!), "the command killed with its launcher", 30_000);
      const retried = events.find((e) => e.type === "retried");
      assert.match(
        retried?.error?.message ?? "",
        /the command launcher \(.*(perl|asyncflow-launcher-[^)]*)\) was killed by SIGKILL while '\/bin\/sh' ran, and the command was killed with it/,
      );
    });
  });

  it("a SIGTERM to the launcher, as Slurm sends to every process of a step, leaves its commands running", async () => {
    const tmp = mkdtempSync(`${tmpdir()}/asyncflow-agent-launcher-`);
    await withAgent(true, async (flow) => {
      const waits = flow.executableTask(() =>
        `echo $PPID > ${tmp}/launcher; while [ ! -e ${tmp}/go ]; do sleep 0.01; done; echo finished`
      );
      const result = waits();
      const launcher = await pidIn(`${tmp}/launcher`);
      process.kill(launcher, "SIGTERM");
      process.kill(launcher, "SIGINT");
      process.kill(launcher, "SIGHUP");
      writeFileSync(`${tmp}/go`, "");
      assert.equal(await result, "finished");
      assert.ok(alive(launcher), "the launcher lives on");
    });
  });
});

describe("commands on a node executor go through its launcher", { skip }, () => {
  for (const launcher of [true, false]) {
    it(`--launcher ${launcher ? "on" : "off"}: the command's parent is ${launcher ? "the executor's launcher" : "the executor"}`, async () => {
      const ex = await NodeExecutor.start("n1", [
        ...executorEntry(),
        ...["--launcher", launcher ? "on" : "off"],
      ]);
      try {
        const outcome = await ex.spawn({ command: IDS, maxBufferBytes: 1 << 20 }).exited;
        assert.equal(outcome.exitCode, 0, outcome.stderr);
        const parent = Number(outcome.stdout.trim().split(" ")[1]);
        if (launcher) {
          assert.ok(isLauncher(parent), `parent ${parent} is a launcher`);
          assert.equal(parentOf(parent), ex.executorPid, "the executor started it");
        } else assert.equal(parent, ex.executorPid);
      } finally {
        await ex.close();
      }
    });
  }
});
