/**
 * Big arguments through the agent: the client bounds each request by bytes as well as by count,
 * so a burst of tasks larger together than the agent's body limit is sent in several requests
 * rather than refused whole (413, every task failed).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type AgentHandle, startAgent } from "../../agent/mod.ts";
import { RemoteBackend } from "../../backends/remote/mod.ts";
import { WorkflowEngine } from "../../mod.ts";
import { fixtures } from "./helpers.ts";
import { echo } from "../fixtures/task_functions.ts";

let agent: AgentHandle;
before(async () => {
  agent = await startAgent({ modules: { fixtures }, cores: 2, maxBodyBytes: 1024 * 1024 });
});
after(async () => {
  await agent.close();
});

describe("remote batches by bytes", () => {
  it("sends 12 tasks of 200 kB, 2.4 MB in all, to an agent that takes 1 MiB a request", async () => {
    await using flow = await WorkflowEngine.create({
      backend: new RemoteBackend({
        url: agent.url,
        token: agent.token,
        modules: { fixtures },
        maxBatchBytes: 512 * 1024,
      }),
    });
    const task = flow.functionTask(echo<string>);
    const payloads = Array.from({ length: 12 }, (_, i) => String(i % 10).repeat(200_000));
    const values = await Promise.all(payloads.map((p) => task(p)));
    assert.deepEqual(values.map((v) => v.length), payloads.map((p) => p.length));
    assert.deepEqual(values.map((v) => v[0]), payloads.map((p) => p[0]));
  });

  it("fails a task larger than the agent takes with the agent's answer, and only that one", async () => {
    await using flow = await WorkflowEngine.create({
      backend: new RemoteBackend({ url: agent.url, token: agent.token, modules: { fixtures } }),
    });
    const task = flow.functionTask(echo<string>);
    const big = task("x".repeat(2 * 1024 * 1024));
    await assert.rejects(big, /413 too_large: the body is larger than 1048576 bytes/);
    assert.equal(await task("small"), "small");
  });
});
