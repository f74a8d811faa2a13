/**
 * Several pilots serving one campaign (PilotPool), with real agents on loopback: tasks go to the
 * first pilot with room; a pilot added later takes what waits; what a draining pilot cancels and
 * what its cut ends go to the other pilot, and what one pilot refuses for lack of walltime runs on
 * another — none of it spends a retry. The same on the 3-node cluster with two Slurm pilots:
 * tests/slurm/multinode_pilot_pool_test.ts.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CancelledError, type TaskEvent, WorkflowEngine } from "../../mod.ts";
import { startAgent } from "../../agent/mod.ts";
import { PilotPool } from "../../agent/pilot/mod.ts";

describe("PilotPool", () => {
  it("moves what a draining pilot gives back, and what its cut ends, to a pilot added later", async () => {
    // A drains 1.5 s after its start and cuts 3 s after it.
    await using a = await startAgent({
      cores: 1,
      walltime: { endsAt: Date.now() + 5_000, drainMarginMs: 3_500, cutMarginMs: 2_000 },
    });
    const pool = new PilotPool([`${a.dir}/endpoint.json`]);
    await using flow = await WorkflowEngine.create({ backend: pool });
    const retried: TaskEvent[] = [];
    let submitted = 0;
    let allSubmitted: () => void;
    const fourSubmitted = new Promise<void>((resolve) => (allSubmitted = resolve));
    flow.subscribe((e) => {
      if (e.type === "retried") retried.push(e);
      if (e.type === "submitted" && ++submitted === 4) allSubmitted();
    });
    // On A a task holds its core until it is cut; elsewhere it ends at once. The agent marks each
    // command with its own directory (ASYNCFLOW_AGENT_TASK), which tells the pilots apart.
    const task = flow.executableTask((i: number) => [
      "sh",
      "-c",
      `case "$ASYNCFLOW_AGENT_TASK" in ${a.dir}/*) exec sleep 300;; esac; echo ${i}`,
    ], { retries: 2 });
    const finished: number[] = [];
    const tasks = [1, 2, 3, 4].map((i) => task(i).then((out) => (finished.push(i), out)));
    await fourSubmitted;
    // A holds two (one runs, one waits on the agent: queue depth = cores); two wait in the pool.
    assert.deepEqual(pool.pilots.map((p) => p.held), [2]);

    await using b = await startAgent({ cores: 1 });
    await pool.add(`${b.dir}/endpoint.json`);
    assert.deepEqual(pool.pilots.map((p) => p.held), [2, 2], "B took the two that waited");

    assert.deepEqual(await Promise.all(tasks), ["1", "2", "3", "4"]);
    // 3 and 4 went to B at once; 2 when A drained; 1 when A's cut ended it.
    assert.equal(finished.at(-1), 1, `finished in order ${finished}`);
    assert.equal(finished.at(-2), 2, `finished in order ${finished}`);
    assert.deepEqual(retried, [], "no retry was spent");
    assert.match(pool.pilots[0]!.closed ?? "", /this pilot drains/);
    assert.equal(pool.pilots[1]!.closed, undefined);
  });

  it("moves what had not started on a pilot whose agent stopped to another; what had started fails", async () => {
    await using a = await startAgent({ cores: 1 }); // closed in the middle; twice is once
    await using b = await startAgent({ cores: 1 });
    const pool = new PilotPool([`${a.dir}/endpoint.json`, `${b.dir}/endpoint.json`], {
      queueDepth: 1,
      remote: { unreachableAfter: 1_000, heartbeat: 200 },
    });
    await using flow = await WorkflowEngine.create({ backend: pool });
    // On A the first task holds the core, so the second waits on A's agent behind it.
    const task = flow.executableTask((i: number) => [
      "sh",
      "-c",
      `case "$ASYNCFLOW_AGENT_TASK" in ${a.dir}/*) exec sleep 300;; esac; echo ${i}`,
    ]);
    const started: string[] = [];
    let someRunning: () => void;
    const running = new Promise<void>((resolve) => (someRunning = resolve));
    flow.subscribe((e) => {
      if (e.type === "running") started.push(e.uid), someRunning();
    });
    const first = task(1);
    const second = task(2);
    await running;
    assert.deepEqual(started, [first.uid], "one runs on A, one waits there");
    await a.close(); // the pilot ends (as on scancel): its agent stops answering
    assert.equal(await second, "2", "the waiting task ran on B");
    await assert.rejects(first, /has not answered for more than 1000 ms/);
    assert.match(pool.pilots[0]!.closed ?? "", /has not answered/);
  });

  it("runs a task one pilot refuses for lack of walltime on another, and cancels one none can hold", async () => {
    await using short = await startAgent({
      cores: 1,
      walltime: { endsAt: Date.now() + 3_600_000, cutMarginMs: 0 },
    });
    await using long = await startAgent({
      cores: 1,
      walltime: { endsAt: Date.now() + 4 * 3_600_000, cutMarginMs: 0 },
    });
    const pool = new PilotPool([`${short.dir}/endpoint.json`, `${long.dir}/endpoint.json`]);
    await using flow = await WorkflowEngine.create({ backend: pool });
    const where = flow.executableTask(() => ["sh", "-c", 'echo "$ASYNCFLOW_AGENT_TASK"']);
    const out = await where.with({ resources: { walltimeMs: 2 * 3_600_000 } })();
    assert.ok(out.startsWith(`${long.dir}/`), out);
    await assert.rejects(
      where.with({ resources: { walltimeMs: 8 * 3_600_000 } })(),
      (e: unknown) =>
        e instanceof CancelledError &&
        /no pilot of 'pilots' can run it: pilot 1 \(.*\): its walltime is too short; pilot 2 \(.*\): its walltime is too short/
          .test(e.message),
    );
  });
});
