import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { after, before, describe, it } from "node:test";
import type { TaskEvent } from "../../mod.ts";
import { cliArgv, tempDir } from "./_helpers.ts";

let tmp: ReturnType<typeof tempDir>;
before(() => (tmp = tempDir()));
after(() => tmp.cleanup());

/** Starts the CLI as a process (the runtime running the tests runs it). */
function startCli(
  ...args: string[]
): {
  child: ChildProcess;
  exited: Promise<{ code: number | null; stdout: string; stderr: string }>;
} {
  const [exe, ...rest] = cliArgv(...args);
  const child = spawn(exe!, rest, { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
  return { child, exited };
}

function events(path: string): TaskEvent[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8").split("\n").filter((l) => l.startsWith("{") && l.endsWith("}"))
    .map((l) => JSON.parse(l));
}

/** Polls a file until `ready` holds (no event crosses the process boundary), with a deadline. */
async function waitFor(what: string, ready: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Whether a process exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

describe("asyncflow as a process", () => {
  it("on Ctrl-C kills running commands, completes the trace and exits 130", async () => {
    const pidFile = join(tmp.dir, "sleep.pid");
    const trace = join(tmp.dir, "interrupted.jsonl");
    const file = tmp.write(
      "sleepy.yaml",
      `tasks:\n  quick: { command: 'true' }\n  long: { command: "echo $$ > '${pidFile}'; exec sleep 30" }\n`,
    );
    const runs = join(tmp.dir, "interrupted-runs");
    const { child, exited } = startCli("run", file, "--trace", trace, "--runs-dir", runs);
    try {
      await waitFor(
        "the trace to show 'long' running",
        () =>
          events(trace).some((e) => e.type === "running" && e.name === "long") &&
          existsSync(pidFile) &&
          readFileSync(pidFile, "utf8").trim() !== "",
      );
      const sleepPid = Number(readFileSync(pidFile, "utf8"));
      assert.ok(alive(sleepPid));
      // Not child.kill(): Deno then reports the signal it sent instead of the exit code.
      process.kill(child.pid!, "SIGINT");
      const { code, stderr } = await exited;
      assert.equal(code, 130, stderr);
      const last = events(trace).filter((e) => e.name === "long").at(-1);
      assert.equal(last?.type, "cancelled");
      assert.equal(alive(sleepPid), false, "the sleep process outlived the CLI");
      assert.match(stderr, /interrupted \(SIGINT\): 1 done, 0 failed, 1 cancelled/);
      // The run's record says so too.
      const [id] = readdirSync(runs);
      const info = JSON.parse(readFileSync(join(runs, id!, "run.json"), "utf8"));
      assert.deepEqual([info.status, info.error, info.counts.cancelled], [
        "interrupted",
        "SIGINT",
        1,
      ]);
    } finally {
      child.kill("SIGKILL");
      await exited;
    }
  });

  it("without a terminal, logs one plain line per finished task on stderr", async () => {
    const file = tmp.write(
      "plain.yaml",
      "tasks:\n  one: { command: 'true' }\n  two: { command: 'true', after: one }\n",
    );
    const { code, stdout, stderr } = await startCli("run", file).exited;
    assert.equal(code, 0, stderr);
    assert.equal(stdout, "");
    assert.ok(!stderr.includes("\r"));
    const lines = stderr.trimEnd().split("\n");
    assert.match(lines[0]!, /^\[0:\d\d\.\d\] done {6}one \(task\.000001\) in \d+\.\d\ds$/);
    assert.match(lines[1]!, /^\[0:\d\d\.\d\] done {6}two \(task\.000002\) in \d+\.\d\ds$/);
    assert.match(lines[2]!, /^ok: 2 done, 0 failed, 0 cancelled in /);
  });
});
