import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { WorkflowEngine } from "../../mod.ts";
import * as tasks from "../fixtures/task_functions.ts";
import { type AgentHandle, startAgent } from "../../agent/mod.ts";
import { RemoteBackend } from "../../backends/remote/mod.ts";
import { backendConformance } from "../backend_conformance.ts";

const fixtures = new URL("../fixtures/task_functions.ts", import.meta.url);
let agent: AgentHandle;

before(async () => {
  agent = await startAgent({ modules: { fixtures }, cores: 4 });
});
after(async () => {
  await agent.close();
});

backendConformance("RemoteBackend", {
  makeBackend: () =>
    new RemoteBackend({ url: agent.url, token: agent.token, modules: { fixtures } }),
});

describe("an agent with a worker pool (--workers)", () => {
  it("runs function tasks on its Workers; without --workers, on its own thread", async () => {
    const threadsOn = async (workers: number | undefined) => {
      await using agent = await startAgent({
        modules: { fixtures },
        ...(workers ? { workers } : {}),
      });
      await using flow = await WorkflowEngine.create({
        backend: new RemoteBackend({ url: agent.url, token: agent.token, modules: { fixtures } }),
      });
      const thread = flow.functionTask(tasks.thread);
      const add = flow.functionTask(tasks.add);
      const sums = await Promise.all(Array.from({ length: 20 }, (_, i) => add(i, 1)));
      assert.equal(sums.reduce((a, b) => a + b, 0), 210);
      return new Set(await Promise.all([thread(), thread(), thread()]));
    };
    assert.deepEqual(await threadsOn(2), new Set(["worker"]));
    assert.deepEqual(await threadsOn(undefined), new Set(["main"]));
  });
});
