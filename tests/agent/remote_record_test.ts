/**
 * The agent's record of a run reaches the client's engine: a command run through a RemoteBackend
 * carries on its final event what ran, where and how it ended — as a local command does — so the
 * run directory and `asyncflow show` tell the same for both.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { hostname } from "node:os";
import { type AgentHandle, startAgent } from "../../agent/mod.ts";
import { RemoteBackend } from "../../backends/remote/mod.ts";
import { ExecutableError, type TaskEvent, WorkflowEngine } from "../../mod.ts";

let agent: AgentHandle;

before(async () => {
  agent = await startAgent({ cores: 2 });
});
after(async () => {
  await agent.close();
});

describe("the agent's record of a run, on the client's events", () => {
  it("says for a command what ran, where, its pid, exit code, times and output sizes", async () => {
    const backend = new RemoteBackend({ url: agent.url, token: agent.token });
    await using flow = await WorkflowEngine.create({ backend });
    const events: TaskEvent[] = [];
    flow.subscribe((e) => events.push(e));
    const ok = flow.executableTask(() => ["sh", "-c", "echo out; echo err >&2"], { name: "ok" });
    const bad = flow.executableTask(() => ["sh", "-c", "echo oops >&2; exit 3"], { name: "bad" });
    const before = Date.now();
    assert.equal(await ok(), "out");
    await assert.rejects(bad(), ExecutableError);

    const done = events.find((e) => e.type === "done" && e.name === "ok")!.record!;
    assert.ok(done, "the done event carries a record");
    assert.equal(done.exitCode, 0);
    assert.equal(done.host, hostname());
    assert.ok(Number.isInteger(done.pid) && done.pid! > 0, `pid ${done.pid}`);
    assert.ok(JSON.stringify(done.command).includes("echo out"), JSON.stringify(done.command));
    assert.equal(typeof done.cwd, "string");
    assert.ok(done.startedAt! >= before - 1_000 && done.endedAt! >= done.startedAt!);
    assert.equal(done.stdoutBytes, 4);
    assert.equal(done.stderrBytes, 4);

    const failed = events.find((e) => e.type === "failed" && e.name === "bad")!.record!;
    assert.ok(failed, "the failed event carries a record");
    assert.equal(failed.exitCode, 3);
    assert.equal(failed.stderrBytes, 5);
  });
});
