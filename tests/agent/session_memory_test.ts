/**
 * A long session's memory follows what it must keep, not its history: the event log keeps a
 * bounded number of bytes, and task records hold large outputs and results by reference.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { WorkflowEngine } from "../../mod.ts";
import { startAgent } from "../../agent/mod.ts";
import { RemoteBackend } from "../../backends/remote/mod.ts";
import { echo } from "../fixtures/task_functions.ts";
import { call, fixtures } from "./helpers.ts";

describe("a long session's memory", () => {
  it("keeps events within its byte budget and large outputs by reference in task records", async () => {
    await using agent = await startAgent({
      modules: { fixtures },
      cores: 2,
      retainEventBytes: 256 * 1024,
    });
    const backend = new RemoteBackend({
      url: agent.url,
      token: agent.token,
      modules: { fixtures },
    });
    await using flow = await WorkflowEngine.create({ backend });
    const print = flow.executableTask(() => "head -c 60000 /dev/zero | tr '\\0' a");
    const outs = await Promise.all(Array.from({ length: 20 }, () => print()));
    assert.ok(outs.every((o) => o === "a".repeat(60_000)));
    const medium = "b".repeat(10_000);
    assert.equal(await flow.functionTask(echo)(medium), medium);

    // The agent lists no sessions: the engine's one is the journal's only `open` line.
    const open = readFileSync(`${agent.dir}/journal.jsonl`, "utf8").split("\n")
      .find((l) => l.includes('"t":"open"'))!;
    const session = JSON.parse(open).sid as string;

    const listing = await call(agent, "GET", `/v1/sessions/${session}/tasks`);
    const done = listing.body.tasks.filter((t: { state: string }) => t.state === "done");
    assert.equal(done.length, 21);
    assert.ok(done.every((t: { value?: unknown }) => t.value === undefined), "no inline values");
    assert.equal(done.filter((t: { stdoutBytes?: number }) => t.stdoutBytes === 60_000).length, 20);
    assert.equal(done.filter((t: { resultBytes?: number }) => t.resultBytes === 10_002).length, 1);
    // The oldest events left memory: a cursor there is told to re-sync from that listing.
    const old = await call(agent, "GET", `/v1/sessions/${session}/events?after=0&wait=0`);
    assert.equal(old.status, 410);
    assert.equal(old.body.error.code, "cursor_expired");
  });
});
