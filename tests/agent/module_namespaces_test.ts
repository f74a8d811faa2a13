import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type AgentHandle, startAgent } from "../../agent/mod.ts";
import { RemoteBackend } from "../../backends/remote/mod.ts";
import { WorkflowEngine } from "../../mod.ts";
import * as tasks from "../fixtures/task_functions.ts";
import { fixtures } from "./helpers.ts";

let agent: AgentHandle;

before(async () => {
  agent = await startAgent({ modules: { fixtures }, cores: 1 });
});
after(async () => {
  await agent.close();
});

describe("RemoteBackend task modules given as namespaces", () => {
  it("addresses the functions of an imported module namespace: no URL, nothing imported", async () => {
    const backend = new RemoteBackend({
      url: agent.url,
      token: agent.token,
      modules: { fixtures: tasks },
    });
    await using flow = await WorkflowEngine.create({ backend });
    const add = flow.functionTask(tasks.add);
    assert.equal(await add(add(1, 2), 3), 6);
  });

  it("refuses a module that is neither a URL, a path nor a namespace, naming it", async () => {
    const backend = new RemoteBackend({
      url: agent.url,
      token: agent.token,
      modules: { broken: 42 as unknown as Record<string, unknown> },
    });
    await assert.rejects(
      WorkflowEngine.create({ backend }),
      /task module 'broken' must be a URL, a path or an imported module namespace, got number/,
    );
  });
});
