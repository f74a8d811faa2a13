/**
 * The end of the agent's allocation, with a real agent on loopback and its client: a task whose
 * declared walltime (`resources.walltimeMs`) cannot fit is refused with a WalltimeError; at the
 * drain, what waits is cancelled and nothing new starts; at the cut, what runs is ended. Both
 * are `cancelled` with a WalltimeError as the cause — the pilot's end, not the task's failure —
 * so retries are not spent on them. The end is given to the agent (in a Slurm job it comes from
 * Slurm: tests/slurm/multinode_pilot_pool_test.ts).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CancelledError, type TaskEvent, WorkflowEngine } from "../../mod.ts";
import { RemoteBackend } from "../../backends/remote/mod.ts";
import { startAgent } from "../../agent/mod.ts";
import { agentFetch } from "../../backends/remote/http.ts";

/** Whether `e` is a task cancelled by the end of its pilot, with a message that matches. */
const cutBy = (message: RegExp) => (e: unknown) =>
  e instanceof CancelledError && (e.cause as Error)?.name === "WalltimeError" &&
  message.test((e.cause as Error).message);

describe("the allocation's end", () => {
  it("refuses a task whose declared walltime cannot fit in what is left", async () => {
    const endsAt = Date.now() + 3_600_000;
    await using agent = await startAgent({ cores: 1, walltime: { endsAt, cutMarginMs: 60_000 } });
    await using flow = await WorkflowEngine.create({
      backend: new RemoteBackend({ url: agent.url, token: agent.token }),
    });
    const cmd = flow.executableTask(() => ["echo", "ran"]);
    const error = await cmd.with({ resources: { walltimeMs: 2 * 3_600_000 } })().then(
      () => undefined,
      (e: Error) => e,
    );
    assert.equal(error?.name, "WalltimeError");
    assert.match(
      error!.message,
      /^task '.+' declares a walltime of 7200 s, but this pilot's allocation ends at \S+ and it stops its tasks at \S+, 35\d\d s from now: run it on a pilot with more time left$/,
    );
    assert.equal(await cmd.with({ resources: { walltimeMs: 60_000 } })(), "ran");
    const metrics = await (await agentFetch(agent, "/v1/metrics", {})).json();
    assert.equal(metrics.walltime.endsAt, new Date(endsAt).toISOString());
    assert.equal(metrics.walltime.draining, false);
  });

  it("checks a declared walltime again when the task leaves the queue", async () => {
    await using agent = await startAgent({
      cores: 1,
      walltime: { endsAt: Date.now() + 8_000, drainMarginMs: 0, cutMarginMs: 0 },
    });
    await using flow = await WorkflowEngine.create({
      backend: new RemoteBackend({ url: agent.url, token: agent.token }),
    });
    const cmd = flow.executableTask((what: string) => ["sh", "-c", what]);
    const holder = cmd("sleep 4"); // the one core for at least 4 s
    // Fits when it arrives (5 s of 8), not when the core is free (5 s of at most 4).
    const late = await cmd.with({ resources: { walltimeMs: 5_000 } })("echo late")
      .then(() => undefined, (e: Error) => e);
    assert.equal(late?.name, "WalltimeError");
    assert.match(late!.message, /declares a walltime of 5 s, but this pilot's allocation ends at/);
    assert.equal(holder.state, "DONE", "refused when the core came free, not before");
    await holder;
  });

  it("drains (cancels what waits, starts nothing) and then cuts what runs, without spending retries", async () => {
    // Drain 1.5 s after the start, cut 3 s after it: the sleeper runs long before either.
    const endsAt = Date.now() + 5_000;
    await using agent = await startAgent({
      cores: 1,
      walltime: { endsAt, drainMarginMs: 3_500, cutMarginMs: 2_000 },
    });
    await using flow = await WorkflowEngine.create({
      backend: new RemoteBackend({ url: agent.url, token: agent.token }),
    });
    const retried: TaskEvent[] = [];
    flow.subscribe((e) => {
      if (e.type === "retried") retried.push(e);
    });
    const cmd = flow.executableTask((what: string) => ["sh", "-c", what], { retries: 3 });
    const sleeper = cmd("sleep 300");
    const waiter = cmd("echo never"); // the one core is the sleeper's: it waits, then is cancelled
    await assert.rejects(waiter, cutBy(/^task '.+' was not started: this pilot drains/));
    assert.equal(sleeper.state, "RUNNING");
    await assert.rejects(cmd("echo late"), cutBy(/was not started: this pilot drains/));
    await assert.rejects(
      sleeper,
      cutBy(
        /^task '.+' was cut by the end of this pilot's allocation .* another pilot can run it again$/,
      ),
    );
    assert.ok(Date.now() < endsAt, "cut before the end");
    assert.deepEqual(retried, [], "the pilot's end is not the tasks' failure");
    const metrics = await (await agentFetch(agent, "/v1/metrics", {})).json();
    assert.equal(metrics.walltime.draining, true);
    assert.equal(metrics.tasks.cancelled, 3);
  });
});
