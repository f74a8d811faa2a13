/**
 * The conformance suite every backend passes. A backend's test file calls
 * `backendConformance("MyBackend", { makeBackend })` and gets the whole set:
 * values, errors, commands, RUNNING before DONE, cancellation that kills,
 * timeouts, retries, large batches, shutdown with work in flight.
 *
 * Function tasks use the exports of `tests/fixtures/task_functions.ts`, so
 * backends that address functions by module (worker pool, agent) can load them.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import process from "node:process";
import { tmpdir } from "node:os";
import {
  type Backend,
  CancelledError,
  ExecutableError,
  type TaskEvent,
  TimeoutError,
  WorkflowEngine,
} from "../mod.ts";
import { add, echo, fail, sleep } from "./fixtures/task_functions.ts";

/** What a backend's test file tells the suite. */
export interface ConformanceOptions {
  /** Makes a fresh backend for each test. */
  makeBackend: () => Backend | Promise<Backend>;
  /** Run the function-task checks (default true). */
  functions?: boolean;
  /** Run the executable-task checks (default true). */
  executables?: boolean;
}

/** Registers the conformance tests for one backend. */
export function backendConformance(label: string, options: ConformanceOptions): void {
  const withEngine = async (body: (flow: WorkflowEngine) => Promise<void>) => {
    const backend = await options.makeBackend();
    const flow = await WorkflowEngine.create({
      backend,
      workDir: mkdtempSync(`${tmpdir()}/asyncflow-conf-`),
    });
    try {
      await body(flow);
    } finally {
      await flow.shutdown();
    }
  };

  describe(`${label} conforms to the backend contract`, () => {
    if (options.functions !== false) {
      it("runs function tasks and returns their values, structured values included", async () => {
        await withEngine(async (flow) => {
          const addT = flow.functionTask(add);
          const echoT = flow.functionTask(echo);
          assert.equal(await addT(addT(1, 2), 3), 6);
          const value = { list: [1, "two", null], nested: { ok: true }, n: 1.5 };
          assert.deepEqual(await echoT(value), value);
        });
      });

      it("fails a function task with the function's error message", async () => {
        await withEngine(async (flow) => {
          const failT = flow.functionTask(fail);
          await assert.rejects(failT("out of range"), (e: Error) => /out of range/.test(e.message));
        });
      });

      it("reports RUNNING before DONE for every task, and exactly one final event", async () => {
        await withEngine(async (flow) => {
          const events: TaskEvent[] = [];
          flow.subscribe((e) => events.push(e));
          const sleepT = flow.functionTask(sleep);
          await Promise.all([sleepT(5), sleepT(1)]);
          for (const uid of new Set(events.map((e) => e.uid))) {
            const types = events.filter((e) => e.uid === uid).map((e) => e.type);
            assert.ok(types.indexOf("running") < types.indexOf("done"), types.join(","));
            assert.equal(
              types.filter((t) => t === "done" || t === "failed" || t === "cancelled").length,
              1,
            );
          }
        });
      });

      it("completes a batch of 500 function tasks", async () => {
        await withEngine(async (flow) => {
          const addT = flow.functionTask(add);
          const results = await Promise.all(Array.from({ length: 500 }, (_, i) => addT(i, 1)));
          assert.equal(results.reduce((a, b) => a + b, 0), (500 * 501) / 2);
        });
      });
    }

    if (options.executables !== false) {
      it("runs argv commands without losing quoting, and shell strings through a shell", async () => {
        await withEngine(async (flow) => {
          const argv = flow.executableTask((s: string) => ["printf", "%s|", s, "b  c"]);
          assert.equal(await argv("a 'quoted' \"arg\""), "a 'quoted' \"arg\"|b  c|");
          const shell = flow.executableTask(() => "echo $((2 + 3)) | tr 5 6");
          assert.equal(await shell(), "6");
        });
      });

      it("rejects a failing command with its exit code, stdout and stderr", async () => {
        await withEngine(async (flow) => {
          const bad = flow.executableTask(() => "echo out; echo err >&2; exit 3");
          await assert.rejects(bad(), (e: unknown) => {
            assert.ok(e instanceof ExecutableError, String(e));
            assert.equal(e.exitCode, 3);
            assert.equal(e.stdout, "out\n");
            assert.match(e.stderr, /err/);
            return true;
          });
        });
      });

      it("cancels a running command: the future is CANCELLED and the process is killed", async () => {
        await withEngine(async (flow) => {
          const dir = mkdtempSync(`${tmpdir()}/asyncflow-kill-`);
          const started = new Promise<void>((resolve) =>
            flow.subscribe((e) => e.type === "running" && resolve())
          );
          const long = flow.executableTask(() =>
            `echo $$ > ${dir}/pid; sleep 30; touch ${dir}/survived`
          );
          const f = long();
          await started;
          await waitFor(() => existsSync(`${dir}/pid`));
          assert.equal(f.cancel("enough"), true);
          await assert.rejects(f, CancelledError);
          const pid = Number(readFileSync(`${dir}/pid`, "utf8"));
          await waitFor(() => !alive(pid));
        });
      });

      it("times out a command that runs too long, and retries per the policy", async () => {
        await withEngine(async (flow) => {
          const t0 = performance.now();
          const slow = flow.executableTask(() => "sleep 30", { timeout: 200, retries: 1 });
          const events: TaskEvent[] = [];
          flow.subscribe((e) => events.push(e));
          await assert.rejects(slow(), TimeoutError);
          assert.equal(events.filter((e) => e.type === "retried").length, 1);
          assert.ok(performance.now() - t0 < 10_000, "two 200 ms attempts must not take 10 s");
        });
      });

      it("retries a command that fails once and then succeeds", async () => {
        await withEngine(async (flow) => {
          const dir = mkdtempSync(`${tmpdir()}/asyncflow-retry-`);
          const flaky = flow.executableTask(
            () => `test -f ${dir}/seen && echo second || { touch ${dir}/seen; exit 1; }`,
            { retries: 2 },
          );
          assert.equal(await flaky(), "second");
        });
      });
    }

    it("shuts down with work in flight: pending futures are cancelled, nothing hangs", async () => {
      const backend = await options.makeBackend();
      const flow = await WorkflowEngine.create({ backend });
      const futures = options.executables !== false
        ? [flow.executableTask(() => "sleep 30")()]
        : [flow.functionTask(sleep)(60_000)];
      await flow.shutdown();
      for (const f of futures) await assert.rejects(f, CancelledError);
      assert.throws(() => flow.functionTask(add)(1, 2), /shut down/);
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, "utf8").split(" ")[2]?.startsWith("Z");
  } catch {
    return false;
  }
}

/**
 * Waits until `check` holds, polling the file system (there is no event for it); fails after `ms`
 * (10 s by default).
 */
export async function waitFor(
  check: () => boolean,
  what = "condition",
  ms = 10_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
