/**
 * The node executor on this machine, standing for a node: the same entry the agent starts as a
 * Slurm step, run as a plain child here, so the protocol, process groups, cancellation and the
 * ways a node is lost are tested on every runtime. The Slurm path is tests/slurm/multinode_*.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { executorEntry, NodeExecutor, NodeLostError } from "../../agent/executor/node_executor.ts";
import { NodeExecutors } from "../../agent/executor/node_executors.ts";
import { waitFor } from "./helpers.ts";

const MB = 1 << 20;
const start = (node = "n1", silenceMs = 5_000, launcher?: "on" | "off") =>
  NodeExecutor.start(node, [...executorEntry(), ...(launcher ? ["--launcher", launcher] : [])], {
    silenceMs,
  });

/** The launcher the executor `pid` started, once it has (at its first command), or undefined. */
function launcherOf(pid: number): number | undefined {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(" ");
  return children.map(Number).find((child) => {
    try {
      return readFileSync(`/proc/${child}/cmdline`, "utf8").startsWith("asyncflow-launcher");
    } catch {
      return false;
    }
  });
}

/** Whether a process exists (a zombie counts as gone: PID 1 may reap it late). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
}

// Commands start through a launcher of the executor's (its default on Node and Deno) or by a
// spawn each (its default on Bun): both ways on every runtime.
for (const launcher of ["on", "off"] as const) {
  describe(`NodeExecutor, --launcher ${launcher}`, () => {
    it("runs commands with their env and cwd, and reports exit codes and signals", async () => {
      const ex = await start("n1", 5_000, launcher);
      try {
        const dir = mkdtempSync(join(tmpdir(), "asyncflow-ex-"));
        // Its CPU and memory figures (remote_usage_test) are left out: a quick command may have none.
        const { usage: _usage, ...ok } = await ex.spawn({
          command: ["sh", "-c", 'echo "$GREETING from $(pwd)"; echo warn >&2'],
          env: { GREETING: "hello" },
          cwd: dir,
          maxBufferBytes: MB,
        }).exited;
        assert.deepEqual(ok, {
          exitCode: 0,
          signal: null,
          stdout: `hello from ${dir}\n`,
          stderr: "warn\n",
        });
        assert.equal(
          (await ex.spawn({ command: "exit 3", maxBufferBytes: MB }).exited).exitCode,
          3,
        );
        const killed = await ex.spawn({ command: "kill -9 $$", maxBufferBytes: MB }).exited;
        assert.equal(killed.signal, "SIGKILL");
        await assert.rejects(
          ex.spawn({ command: ["/no/such/program"], maxBufferBytes: MB }).exited,
          /on node n1: Cannot start '\/no\/such\/program'/,
        );
        // Output is bounded: past the bound the command is killed and fails saying so, and what
        // to do instead; captureOutput would not help (the output travels in the exit line).
        const overflow = await ex.spawn({ command: "head -c 5000 /dev/zero", maxBufferBytes: 1000 })
          .exited.then(() => undefined, (e: Error) => e);
        assert.match(
          String(overflow?.message),
          /^on node n1: the command "\/bin\/sh -c head -c 5000 \/dev\/zero" printed more than 1000 bytes .* write large outputs to a file/,
        );
        assert.doesNotMatch(String(overflow?.message), /captureOutput/);
        rmSync(dir, { recursive: true });
      } finally {
        await ex.close();
      }
    });

    it("runs many commands at once, and kill() ends a command's whole process group", async () => {
      const ex = await start("n1", 5_000, launcher);
      const dir = mkdtempSync(join(tmpdir(), "asyncflow-ex-"));
      try {
        const many = await Promise.all(
          Array.from(
            { length: 20 },
            (_, i) => ex.spawn({ command: `echo ${i}`, maxBufferBytes: MB }),
          )
            .map((p) => p.exited),
        );
        assert.deepEqual(many.map((o) => o.stdout), Array.from({ length: 20 }, (_, i) => `${i}\n`));
        // A shell that starts a sleeper and records its pid: kill must reach the sleeper too.
        const p = ex.spawn({
          command: `sleep 300 & echo $! > ${dir}/pid; wait`,
          maxBufferBytes: MB,
        });
        await waitFor(() =>
          existsSync(join(dir, "pid")) && readFileSync(join(dir, "pid"), "utf8") !== ""
        );
        const sleeper = Number(readFileSync(join(dir, "pid"), "utf8"));
        assert.ok(alive(sleeper));
        p.kill();
        const outcome = await p.exited;
        assert.equal(outcome.signal, "SIGTERM");
        await waitFor(() => !alive(sleeper), "the sleeper is gone");
      } finally {
        await ex.close();
        rmSync(dir, { recursive: true });
      }
    });

    it("close() ends the executor, and it takes its commands with it", async () => {
      const ex = await start("n1", 5_000, launcher);
      const dir = mkdtempSync(join(tmpdir(), "asyncflow-ex-"));
      const p = ex.spawn({ command: `echo $$ > ${dir}/pid; exec sleep 300`, maxBufferBytes: MB });
      await waitFor(() =>
        existsSync(join(dir, "pid")) && readFileSync(join(dir, "pid"), "utf8") !== ""
      );
      const sleeper = Number(readFileSync(join(dir, "pid"), "utf8"));
      const executor = ex.executorPid!;
      await ex.close();
      // It stopped the command and said so before it went.
      assert.equal((await p.exited).signal, "SIGTERM");
      assert.equal(alive(executor), false, "the executor exited");
      await waitFor(() => !alive(sleeper), "the sleeper is gone");
      rmSync(dir, { recursive: true });
    });

    it("outlives Slurm's SIGTERM: it serves on until the agent closes the link", async () => {
      const ex = await start("n1", 5_000, launcher);
      const dir = mkdtempSync(join(tmpdir(), "asyncflow-ex-"));
      try {
        const p = ex.spawn({
          command: `: > ${dir}/started; while [ ! -e ${dir}/go ]; do sleep 0.01; done; echo on`,
          maxBufferBytes: MB,
        });
        await waitFor(() => existsSync(join(dir, "started")), "the command to start");
        // As Slurm does at the job's end to every process of every step: the executor and its
        // launcher (the command gets it from Slurm too, and ends as it decides; this one waits).
        process.kill(ex.executorPid!, "SIGTERM");
        const launched = launcherOf(ex.executorPid!);
        assert.equal(launched !== undefined, launcher === "on", `launcher ${launched}`);
        if (launched !== undefined) process.kill(launched, "SIGTERM");
        writeFileSync(join(dir, "go"), "");
        assert.equal((await p.exited).stdout, "on\n");
        assert.equal(
          (await ex.spawn({ command: "echo on", maxBufferBytes: MB }).exited).stdout,
          "on\n",
        );
        assert.equal(ex.lost, undefined);
      } finally {
        await ex.close();
        rmSync(dir, { recursive: true });
      }
    });
  });
}

describe("NodeExecutor", () => {
  it("a node whose executor dies is lost: its commands fail with NodeLostError naming it", async () => {
    const ex = await start("node7");
    const lost: NodeLostError[] = [];
    ex.onLost((e) => lost.push(e));
    const p = ex.spawn({ command: "sleep 300", maxBufferBytes: MB });
    process.kill(ex.executorPid!, "SIGKILL");
    const error = await p.exited.then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof NodeLostError, String(error));
    assert.equal(error.node, "node7");
    assert.match(error.message, /node node7 was lost \(its executor's step ended with SIGKILL\)/);
    assert.deepEqual(lost, [error]);
    // Later commands fail at once rather than wait.
    await assert.rejects(ex.spawn({ command: "true", maxBufferBytes: MB }).exited, NodeLostError);
    await ex.close();
  });

  it("a node that falls silent (SIGSTOP) is lost within the heartbeat deadline", async () => {
    const ex = await start("node8", 1_500);
    const pid = ex.executorPid!;
    const p = ex.spawn({ command: "sleep 300", maxBufferBytes: MB });
    process.kill(pid, "SIGSTOP");
    try {
      const error = await p.exited.then(() => undefined, (e: unknown) => e);
      assert.ok(error instanceof NodeLostError, String(error));
      assert.match(error.message, /node node8 was lost \(no heartbeat for \d+ ms\)/);
    } finally {
      process.kill(pid, "SIGCONT"); // the agent killed it; a stopped process dies on SIGCONT
      await ex.close();
    }
  });
});

describe("NodeExecutors", () => {
  it("hands single-rank placements to their node's executor and leaves those of several ranks", async () => {
    const executors = await NodeExecutors.start(["a", "b"], {
      argv: (node) => ["env", `SLURMD_NODENAME=${node}`, ...executorEntry()],
    });
    try {
      const on = (node: string, ranks = 1, gpus: number[] = []) => ({
        ranks: Array.from({ length: ranks }, (_, i) => ({ node, cores: [i], gpus })),
      });
      const where = executors.launch(on("b"), ["sh", "-c", "echo $SLURMD_NODENAME"], {}, "/", MB);
      assert.equal((await where!.exited).stdout, "b\n");
      // Two ranks may be MPI, which needs srun's or mpiexec's PMI: not the executors', on one node too.
      assert.equal(executors.launch(on("b", 2), ["true"], {}, undefined, MB), undefined);
      const gpu = executors.launch(on("a", 1, [1]), "echo $CUDA_VISIBLE_DEVICES", {}, "/", MB);
      assert.equal((await gpu!.exited).stdout, "1\n");
      const spans = { ranks: [...on("a").ranks, ...on("b").ranks] };
      assert.equal(executors.launch(spans, ["true"], {}, undefined, MB), undefined);
      assert.equal(executors.launch(on("zz"), ["true"], {}, undefined, MB), undefined);
    } finally {
      await executors.close();
    }
  });
  it("starts with a node whose executor cannot start counted as lost, and names it", async () => {
    const executors = await NodeExecutors.start(["a", "b", "c"], {
      // b's executor fails at once, as when the runtime or the source tree is missing there.
      argv: (node) =>
        node === "b" ? ["sh", "-c", "echo 'b: no such module' >&2; exit 3"] : executorEntry(),
    });
    try {
      const heard: [string, NodeLostError][] = [];
      executors.onLost((node, e) => heard.push([node, e])); // at once, for what is lost already
      assert.deepEqual(heard.map(([node]) => node), ["b"]);
      assert.ok(heard[0]![1] instanceof NodeLostError);
      assert.match(
        heard[0]![1].message,
        /^node b was lost \(its executor's step ended with code 3 before the executor was ready; its error is in the agent's output\)/,
      );
      assert.deepEqual(executors.lost.map((e) => e.node), ["b"]);
      // The others serve.
      const p = executors.launch(
        { ranks: [{ node: "c", cores: [0], gpus: [] }] },
        "echo ok",
        {},
        "/",
        MB,
      );
      assert.equal((await p!.exited).stdout, "ok\n");
    } finally {
      await executors.close();
    }
  });

  it("fails to start when no executor starts, naming every node", async () => {
    const error = await NodeExecutors.start(["a", "b"], { argv: () => ["false"] })
      .then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof AggregateError, String(error));
    assert.deepEqual(error.errors.map((e: NodeLostError) => e.node), ["a", "b"]);
    assert.match(error.message, /^no node executor started: node a was lost .*; node b was lost/);
  });
});
