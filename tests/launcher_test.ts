/**
 * Commands started through the launcher (src/host/launcher.ts) are the processes a direct spawn
 * starts: the same session, signal dispositions, environment and bytes of output; a kill asked
 * before the launcher reported the pid still lands; and the launcher's own death fails what ran
 * on it, kills it, and the next command starts a new launcher.
 */
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import process from "node:process";
import { LocalBackend, WorkflowEngine } from "../mod.ts";
import { host } from "../src/host/mod.ts";

const linux = existsSync("/proc/self/status");
const perl = existsSync("/usr/bin/perl") || existsSync("/bin/perl");
const skip = !linux || !perl ? "needs Linux's /proc and Perl" : false;

/** Resolves once `path` exists and is not empty (a command wrote its line there). */
async function written(path: string): Promise<string> {
  for (let i = 0; i < 2_000; i++) {
    if (existsSync(path)) {
      const text = readFileSync(path, "utf8");
      if (text.endsWith("\n")) return text;
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`${path} was never written`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.startsWith("Z");
  } catch {
    return false;
  }
}

// Each launcher this machine has: the compiled one (where it has a C compiler) and the Perl one.
const cc = ["/usr/bin/cc", "/bin/cc"].some((path) => existsSync(path));
for (const choice of ["compiled", "perl"]) {
  describe(`the command launcher (${choice})`, {
    skip: skip || (choice === "compiled" && !cc ? "needs a C compiler" : false),
  }, () => {
    const before = process.env.ASYNCFLOW_LAUNCHER;
    beforeEach(() => {
      process.env.ASYNCFLOW_LAUNCHER = choice;
    });
    afterEach(() => {
      if (before === undefined) delete process.env.ASYNCFLOW_LAUNCHER;
      else process.env.ASYNCFLOW_LAUNCHER = before;
    });
    it("starts a command in its own session, every signal at its default and none blocked", async () => {
      // The shell's pid, process group and session; then the signal lines of what it execs (read
      // by the shell itself, they would catch it blocking signals around a fork).
      const probe =
        "cut -d' ' -f1,5,6 /proc/$$/stat && exec grep -E '^Sig(Blk|Ign)' /proc/self/status";
      const run = async (launcher: boolean) => {
        await using flow = await WorkflowEngine.create({ backend: new LocalBackend({ launcher }) });
        return await flow.executableTask(() => probe)();
      };
      const masks = (text: string) =>
        text.split("\n").slice(1).map((line) => BigInt(`0x${line.split("\t")[1]}`));
      const [viaLauncher, direct] = [await run(true), await run(false)];
      const [ids] = viaLauncher.split("\n");
      const [pid, pgrp, session] = ids!.split(" ");
      assert.equal(pgrp, pid, "the command leads its process group");
      assert.equal(session, pid, "and its session");
      const [blocked, ignored] = masks(viaLauncher);
      assert.equal(blocked, 0n);
      // glibc's posix_spawn leaves its two internal signals (32 and 33) ignored, and Deno's own
      // spawns (and so the Perl launcher Deno starts) pass that on. The compiled launcher resets
      // them too; nothing else may be ignored, as in a direct spawn.
      const glibcInternal = 0x180000000n;
      assert.equal(ignored! & ~glibcInternal, 0n, `ignored: ${ignored!.toString(16)}`);
      if (choice === "compiled") assert.equal(ignored, 0n);
      assert.equal(ignored! & ~glibcInternal, masks(direct)[1]! & ~glibcInternal);
    });

    it("passes the environment as it is now, and every byte of output", async () => {
      const dir = mkdtempSync(`${tmpdir()}/asyncflow-launcher-`);
      await using flow = await WorkflowEngine.create({
        backend: new LocalBackend({ launcher: true }),
        workDir: dir,
      });
      const echo = flow.executableTask((name: string) => `printf %s "$${name}"`);
      assert.equal(await echo("HOME"), process.env.HOME ?? ""); // the launcher is running now
      process.env.ASYNCFLOW_LAUNCHER_TEST = "set after the launcher started";
      try {
        assert.equal(await echo("ASYNCFLOW_LAUNCHER_TEST"), "set after the launcher started");
      } finally {
        delete process.env.ASYNCFLOW_LAUNCHER_TEST;
      }
      // 300 kB of random bytes cross many of the launcher's reports, and go to a file as they are.
      const copy = flow.executableTask(
        () => `head -c 300000 /dev/urandom > ${dir}/in.bin && cat ${dir}/in.bin`,
        { captureOutput: true },
      );
      const stdoutPath = await copy();
      assert.deepEqual(readFileSync(stdoutPath), readFileSync(`${dir}/in.bin`));
    });

    it("kills a command whose pid was not reported yet when the kill came", async () => {
      const p = host.launch({ command: ["sleep", "30"] });
      assert.equal(p.pid, undefined, "the pid comes with the launcher's report");
      p.kill();
      const outcome = await p.exited;
      assert.equal(outcome.signal, "SIGTERM");
      assert.ok(p.pid! > 1);
    });

    it("a kill as the launcher forks reaches the command as a SIGTERM, not held off by the launcher's own ignoring of it", async () => {
      // The launcher ignores SIGTERM; a command gets it at the default only once its process has
      // reset it, a moment after the fork, which is when a kill asked before the pid lands.
      const signals = new Set<string | null>();
      for (let i = 0; i < 20; i++) {
        const p = host.launch({ command: ["sleep", "30"] });
        p.kill();
        signals.add((await p.exited).signal);
      }
      assert.deepEqual([...signals], ["SIGTERM"]);
    });

    it("fails what ran on a launcher that died, kills it, and starts a new one", async () => {
      const dir = mkdtempSync(`${tmpdir()}/asyncflow-launcher-`);
      // The launcher reported the pid (onStart): the runtime knows what to kill when it dies. (A
      // launcher killed between a start and its report leaves that one command running.)
      let started!: (pid: number) => void;
      const pidKnown = new Promise<number>((resolve) => (started = resolve));
      const sleeper = host.launch({
        command: `echo "$PPID" > ${dir}/ids; exec sleep 30`,
        onStart: started,
      });
      const command = await pidKnown;
      const launcher = Number(await written(`${dir}/ids`));
      assert.match(readFileSync(`/proc/${launcher}/cmdline`, "utf8"), /^asyncflow-launcher\0/);
      process.kill(launcher, "SIGKILL");
      await assert.rejects(
        sleeper.exited,
        /command launcher .* was killed by SIGKILL while '\/bin\/sh' ran/,
      );
      for (let i = 0; i < 2_000 && alive(command); i++) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      assert.equal(alive(command), false, "the command was killed with its launcher");
      await using flow = await WorkflowEngine.create({
        backend: new LocalBackend({ launcher: true }),
      });
      assert.equal(await flow.executableTask(() => ["echo", "again"])(), "again");
    });
  });
}
