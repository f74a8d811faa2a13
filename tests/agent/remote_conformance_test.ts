import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { WorkflowEngine } from "../../mod.ts";
import * as tasks from "../fixtures/task_functions.ts";
import { type AgentHandle, startAgent } from "../../agent/mod.ts";
import { RemoteBackend } from "../../backends/remote/mod.ts";
import { backendConformance } from "../backend_conformance.ts";

const fixtures = new URL("../fixtures/task_functions.ts", import.meta.url);
let agent: AgentHandle;
let spawning: AgentHandle;

before(async () => {
  agent = await startAgent({ modules: { fixtures }, cores: 4 });
  spawning = await startAgent({ modules: { fixtures }, cores: 4, launcher: false });
});
after(async () => {
  await agent.close();
  await spawning.close();
});

// The agent starts commands through the launcher (its default on Node and Deno) or by a spawn
// each (its default on Bun).
backendConformance("RemoteBackend", {
  makeBackend: () =>
    new RemoteBackend({ url: agent.url, token: agent.token, modules: { fixtures } }),
});
backendConformance("RemoteBackend on an agent that spawns each command", {
  makeBackend: () =>
    new RemoteBackend({ url: spawning.url, token: spawning.token, modules: { fixtures } }),
});

describe("where an agent runs function tasks", () => {
  it("on its Workers by default, on at most --workers of them, in its own thread when asked", async () => {
    const threadsOn = async (options: { workers?: number; functionsInThread?: boolean }) => {
      await using agent = await startAgent({ modules: { fixtures }, cores: 2, ...options });
      await using flow = await WorkflowEngine.create({
        backend: new RemoteBackend({ url: agent.url, token: agent.token, modules: { fixtures } }),
      });
      const thread = flow.functionTask(tasks.thread);
      const add = flow.functionTask(tasks.add);
      const sums = await Promise.all(Array.from({ length: 20 }, (_, i) => add(i, 1)));
      assert.equal(sums.reduce((a, b) => a + b, 0), 210);
      return new Set(await Promise.all([thread(), thread(), thread()]));
    };
    assert.deepEqual(await threadsOn({}), new Set(["worker"]));
    assert.deepEqual(await threadsOn({ workers: 1 }), new Set(["worker"]));
    assert.deepEqual(await threadsOn({ functionsInThread: true }), new Set(["main"]));
    await assert.rejects(
      startAgent({ modules: { fixtures }, workers: 2, functionsInThread: true }),
      /'workers' and 'functionsInThread' exclude each other/,
    );
  });
});
