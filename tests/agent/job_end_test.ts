/**
 * A pilot whose job ends under it (Slurm's SIGTERM: scancel, preemption, the time limit), with
 * real agents on loopback: `endJob` reports the running and the waiting tasks as cancelled by a
 * PilotEndedError at once — the client hears it on its event stream, not after its
 * `unreachableAfter` — and a PilotPool moves them to another pilot without spending a retry. The
 * same with a real `scancel` on the 3-node cluster: tests/slurm/multinode_job_end_test.ts.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CancelledError, type TaskEvent, WorkflowEngine } from "../../mod.ts";
import { startAgent } from "../../agent/mod.ts";
import { RemoteBackend } from "../../backends/remote/mod.ts";
import { PilotPool } from "../../agent/pilot/mod.ts";

/** A command that holds its core on the agent whose directory is `dir`, and ends at once elsewhere. */
const holdOn = (dir: string, i: number) => [
  "sh",
  "-c",
  `case "$ASYNCFLOW_AGENT_TASK" in ${dir}/*) exec sleep 300;; esac; echo ${i}`,
];

describe("a pilot whose job ends", () => {
  it("reports its running and waiting tasks cancelled by a PilotEndedError at once", {
    timeout: 30_000,
  }, async () => {
    await using agent = await startAgent({ cores: 1 });
    // Ten minutes: only the agent's own report can end these tasks within the test's time.
    const backend = new RemoteBackend({
      url: agent.url,
      token: agent.token,
      unreachableAfter: "10m",
    });
    await using flow = await WorkflowEngine.create({ backend });
    const running = Promise.withResolvers<void>();
    flow.subscribe((e) => e.type === "running" && running.resolve());
    const hold = flow.executableTask(() => ["sleep", "300"]);
    const [first, second] = [hold(), hold()]; // one runs, one waits for the core
    await running.promise;
    await agent.endJob("SIGTERM");
    for (const f of [first, second]) {
      const error = await f.then(() => undefined, (e: unknown) => e);
      assert.ok(error instanceof CancelledError, String(error));
      const cause = error.cause as Error;
      assert.equal(cause.name, "PilotEndedError");
      assert.match(
        cause.message,
        /the pilot's job is ending \(the agent got SIGTERM: .*another pilot can run it/,
      );
    }
  });

  it(
    "lets a PilotPool move its running and waiting tasks to another pilot",
    { timeout: 30_000 },
    async () => {
      await using a = await startAgent({ cores: 1 });
      await using b = await startAgent({ cores: 1 });
      const pool = new PilotPool([`${a.dir}/endpoint.json`], {
        queueDepth: 1,
        remote: { unreachableAfter: "10m" },
      });
      await using flow = await WorkflowEngine.create({ backend: pool });
      const retried: TaskEvent[] = [];
      const running = Promise.withResolvers<void>();
      flow.subscribe((e) => {
        if (e.type === "retried") retried.push(e);
        if (e.type === "running") running.resolve();
      });
      const task = flow.executableTask((i: number) => holdOn(a.dir, i), { retries: 2 });
      const tasks = [task(1), task(2)]; // on A: one runs, one waits behind it
      await running.promise;
      await pool.add(`${b.dir}/endpoint.json`);
      assert.deepEqual(pool.pilots.map((p) => p.held), [2, 0], "A holds both");
      await a.endJob("SIGTERM");
      assert.deepEqual(await Promise.all(tasks), ["1", "2"]);
      assert.deepEqual(retried, [], "no retry was spent");
      assert.match(pool.pilots[0]!.closed ?? "", /is ending/);
      assert.equal(pool.pilots[1]!.closed, undefined);
    },
  );
});
