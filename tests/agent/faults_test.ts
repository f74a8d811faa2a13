import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { type TaskEvent, TimeoutError, WorkflowEngine } from "../../mod.ts";
import { type AgentHandle, startAgent } from "../../agent/mod.ts";
import { RemoteBackend } from "../../backends/remote/mod.ts";
import type { WireEvent } from "../../protocol/v1.ts";
import { add, echo, sleep } from "../fixtures/task_functions.ts";
import { alive, call, fixtures, pidIn, spawnAgent, startTime, waitFor } from "./helpers.ts";

let agent: AgentHandle;

before(async () => {
  agent = await startAgent({ modules: { fixtures }, cores: 2 });
});
after(async () => {
  await agent.close();
});

async function engine(options: Partial<ConstructorParameters<typeof RemoteBackend>[0]> = {}) {
  const backend = new RemoteBackend({
    url: agent.url,
    token: agent.token,
    modules: { fixtures },
    ...options,
  });
  return await WorkflowEngine.create({
    backend,
    workDir: mkdtempSync(`${tmpdir()}/asyncflow-faults-`),
  });
}

/** Every seq once, from 1 without gaps, and one final event per task. */
function assertExactlyOnce(events: WireEvent[]): void {
  assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1));
  const finals = new Map<string, number>();
  for (const e of events) if (e.state !== "running") finals.set(e.id, (finals.get(e.id) ?? 0) + 1);
  for (const [id, n] of finals) assert.equal(n, 1, `task ${id} has ${n} final events`);
}

describe("RemoteBackend under faults", () => {
  it("finishes every task exactly once when the event stream is cut mid-run", async () => {
    await using flow = await engine();
    const events: TaskEvent[] = [];
    flow.subscribe((e) => events.push(e));
    const sleepT = flow.functionTask(sleep);
    const futures = Array.from({ length: 200 }, (_, i) => sleepT(i % 50));
    let cuts = 0;
    flow.subscribe((e) => {
      if (
        e.type === "done" && cuts < 3 && events.filter((x) => x.type === "done").length % 40 === 0
      ) {
        cuts++;
        agent.dropStreams();
      }
    });
    const values = await Promise.all(futures);
    assert.equal(cuts, 3);
    assert.deepEqual(values, Array.from({ length: 200 }, (_, i) => i % 50));
    for (const type of ["running", "done"] as const) {
      assert.equal(events.filter((e) => e.type === type).length, 200, type);
    }
  });

  it("kills a command that hangs past its timeout", async () => {
    await using flow = await engine();
    const dir = mkdtempSync(`${tmpdir()}/asyncflow-hang-`);
    const hang = flow.executableTask(() => `echo $$ > ${dir}/pid; exec sleep 30`, { timeout: 300 });
    await assert.rejects(hang(), TimeoutError);
    const pid = await pidIn(`${dir}/pid`);
    await waitFor(() => !alive(pid), "the timed-out command to be killed");
  });

  it("fails an unaddressable function and non-JSON arguments at once, with a clear error", async () => {
    await using flow = await engine();
    const local = flow.functionTask((n: number) => n + 1);
    await assert.rejects(local(1), /cannot run on the agent: it is not an export of a task module/);
    const echoT = flow.functionTask(echo);
    await assert.rejects(echoT(new Date(0)), /must be JSON: args\[0\] is a Date/);
    await assert.rejects(echoT({ n: NaN }), /must be JSON: args\[0\]\.n is NaN/);
  });

  it("fails only the task whose argument is nested too deeply, not the others of its batch", async () => {
    await using flow = await engine();
    const echoT = flow.functionTask(echo);
    let deep: unknown[] = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    // Called in one turn: the three go out in one batch.
    const [a, bad, b] = [echoT(1), echoT(deep), echoT(2)];
    await assert.rejects(bad, /nested more than 512 levels deep/);
    assert.deepEqual(await Promise.all([a, b]), [1, 2]);
  });

  it("brings large results and outputs back by reference, in pages", async () => {
    await using flow = await engine();
    const big = "é".repeat(300_000);
    assert.equal(await flow.functionTask(echo)(big), big);
    const out = await flow.executableTask(() => "head -c 200000 /dev/zero | tr '\\0' a")();
    assert.equal(out, "a".repeat(200_000));
  });

  it("follows events by long polling too", async () => {
    await using flow = await engine({ transport: "poll" });
    const addT = flow.functionTask(add);
    assert.equal(await addT(addT(1, 2), 3), 6);
  });

  it("fails tasks in flight when the agent stays unreachable past the deadline", async () => {
    const lone = await startAgent({ modules: { fixtures }, cores: 1 });
    const backend = new RemoteBackend({
      url: lone.url,
      token: lone.token,
      modules: { fixtures },
      heartbeat: 50,
      unreachableAfter: 300,
    });
    await using flow = await WorkflowEngine.create({ backend });
    const started = new Promise<void>((resolve) =>
      flow.subscribe((e) => e.type === "running" && resolve())
    );
    const f = flow.executableTask(() => "exec sleep 30")();
    await started;
    await lone.close();
    await assert.rejects(f, /has not answered for more than 300 ms/);
  });

  it("survives an agent killed mid-run: restarted on its journal, it reports what was lost; each change arrives once", async () => {
    const dir = mkdtempSync(`${tmpdir()}/asyncflow-restart-`);
    const work = mkdtempSync(`${tmpdir()}/asyncflow-restart-work-`);
    const endpoint = `${dir}/endpoint.json`;
    // The same command line both times: the second agent restarts on the first one's directory.
    const agentArgs = ["--dir", dir, "--cores", "2", "--module", `fixtures=${fixtures.pathname}`];
    let first = spawnAgent(agentArgs);
    try {
      await waitFor(() => existsSync(endpoint), "the agent's endpoint file");
      const backend = RemoteBackend.fromEndpointFile(endpoint, {
        modules: { fixtures },
        heartbeat: 100,
        unreachableAfter: 20_000,
      });
      await using flow = await WorkflowEngine.create({ backend });
      const events: TaskEvent[] = [];
      flow.subscribe((e) => events.push(e));
      const addT = flow.functionTask(add);
      assert.equal(await addT(20, 22), 42);
      const cmd =
        `test -f ${work}/again && echo second || { touch ${work}/again; echo $$ > ${work}/pid; exec sleep 30; }`;
      const long = flow.executableTask(() => cmd, { retries: 1 })();
      const pid = await pidIn(`${work}/pid`);
      const start = startTime(pid);
      const { url } = JSON.parse(readFileSync(endpoint, "utf8"));
      // Killed once the journal holds the command's start (a kill before that is the case of
      // tests/agent/task_marker_test.ts): then the log below is exact.
      await waitFor(
        () => readFileSync(`${dir}/journal.jsonl`, "utf8").includes('"t":"pid"'),
        "the journal to hold the command's pid",
      );
      first.kill();
      await first.exited;
      first = spawnAgent(agentArgs);
      await waitFor(
        () => JSON.parse(readFileSync(endpoint, "utf8")).url !== url,
        "the restarted agent's endpoint",
      );
      assert.equal(await long, "second"); // the engine drops the final newline of a value
      await waitFor(() => !alive(pid, start), "the lost command's process group to be killed");
      const retried = events.filter((e) => e.type === "retried");
      assert.equal(retried.length, 1);
      assert.match(JSON.stringify(retried[0]), /TaskLostError|when the agent stopped/);
      // The restarted agent's log holds every change of the session once, in order.
      const token = readFileSync(`${dir}/token`, "utf8").trim();
      const restarted = { url: JSON.parse(readFileSync(endpoint, "utf8")).url, token };
      const sessions = readFileSync(`${dir}/journal.jsonl`, "utf8").split("\n").filter((l) =>
        l.includes('"t":"open"')
      );
      const sid = JSON.parse(sessions[0]!).sid;
      const log = await call(restarted, "GET", `/v1/sessions/${sid}/events?after=0&wait=0`);
      assertExactlyOnce(log.body.events);
      assert.deepEqual(log.body.events.map((e: WireEvent) => e.state), [
        "running",
        "done",
        "running",
        "lost",
        "running",
        "done",
      ]);
    } finally {
      first.kill();
      await first.exited;
    }
  });
});
