/**
 * Function tasks run off the agent's thread by default: a CPU-bound function holding its
 * Worker for longer than the client's `unreachableAfter` does not make the client give up, and the
 * agent answers other tasks meanwhile. In the agent's own thread (`--functions-in-thread`) the
 * same function keeps the agent from answering, and the client gives up: the trade-off of the flag.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { WorkflowEngine } from "../../mod.ts";
import { RemoteBackend } from "../../backends/remote/mod.ts";
import { add } from "../fixtures/task_functions.ts";
import { busy } from "./fixtures/faulty_tasks.ts";
import { agentProcess, fixtures } from "./helpers.ts";

const faulty = new URL("./fixtures/faulty_tasks.ts", import.meta.url);
const BUSY_MS = 4_000;
// Short, for the test, yet generous on a loaded machine; the function runs twice as long.
const UNREACHABLE_MS = 2_000;

async function withAgent(flags: string[], body: (flow: WorkflowEngine) => Promise<void>) {
  const dir = mkdtempSync(`${tmpdir()}/asyncflow-busy-`);
  const agent = await agentProcess(dir, [
    "--cores",
    "2",
    ...flags,
    "--module",
    `fixtures=${fixtures.pathname}`,
    "--module",
    `faulty=${faulty.pathname}`,
  ]);
  try {
    const backend = new RemoteBackend({
      url: agent.url,
      token: agent.token,
      modules: { fixtures, faulty },
      heartbeat: 100,
      unreachableAfter: UNREACHABLE_MS,
    });
    await using flow = await WorkflowEngine.create({ backend });
    await body(flow);
  } finally {
    await agent.stop();
  }
}

describe("a CPU-bound function task on the agent", () => {
  it("on a Worker (the default): the client waits it out, and other tasks are answered meanwhile", async () => {
    await withAgent([], async (flow) => {
      const long = flow.functionTask(busy)(BUSY_MS);
      const started = Promise.withResolvers<void>();
      flow.subscribe((e) => e.type === "running" && started.resolve());
      await started.promise;
      assert.equal(await flow.functionTask(add)(20, 22), 42);
      assert.equal(await long, BUSY_MS);
    });
  });

  it("in the agent's thread (--functions-in-thread): the client gives up past unreachableAfter", async () => {
    await withAgent(["--functions-in-thread"], async (flow) => {
      await assert.rejects(
        flow.functionTask(busy)(BUSY_MS),
        new RegExp(`has not answered for more than ${UNREACHABLE_MS} ms`),
      );
    });
  });
});
