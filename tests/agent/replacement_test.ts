/**
 * The client follows a replacement agent: when the old agent is frozen (its sockets open, no
 * answers, no resets) and a new one serves the same directory, `RemoteBackend` re-reads the
 * endpoint file, abandons the old connections and goes on with the new agent.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import process from "node:process";
import { WorkflowEngine } from "../../mod.ts";
import { RemoteBackend } from "../../backends/remote/mod.ts";
import { add } from "../fixtures/task_functions.ts";
import { agentProcess, fixtures } from "./helpers.ts";

describe("RemoteBackend and a replaced agent", () => {
  it("moves to the agent that replaced a frozen one, without waiting for the old sockets", async () => {
    const dir = mkdtempSync(`${tmpdir()}/asyncflow-replaced-`);
    const args = ["--cores", "1", "--module", `fixtures=${fixtures.pathname}`];
    const old = await agentProcess(dir, args);
    let replacement;
    try {
      const backend = RemoteBackend.fromEndpointFile(`${dir}/endpoint.json`, {
        modules: { fixtures },
        heartbeat: 100,
        // Far beyond the test: a task that waited for the old agent would fail only after this.
        unreachableAfter: 60_000,
      });
      await using flow = await WorkflowEngine.create({ backend });
      const addT = flow.functionTask(add);
      assert.equal(await addT(1, 2), 3);
      process.kill(old.pid, "SIGSTOP"); // a frozen node: connections stay open, nothing answers
      replacement = await agentProcess(dir, args);
      const started = Date.now();
      assert.equal(await addT(20, 22), 42);
      // Generous: the move takes a few heartbeats; the old sockets would have taken a minute.
      assert.ok(Date.now() - started < 30_000, `took ${Date.now() - started} ms`);
    } finally {
      await old.stop();
      await replacement?.stop();
    }
  });
});
