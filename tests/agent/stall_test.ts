/**
 * A stalled agent does not expire its sessions: while its thread is busy or its process is
 * suspended, clients' requests wait unread, so the stall does not count against their deadlines.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import process from "node:process";
import { type AgentProcess, agentProcess, call, openSession, readEvents } from "./helpers.ts";

const faulty = new URL("./fixtures/faulty_tasks.ts", import.meta.url);
let agent: AgentProcess;

before(async () => {
  agent = await agentProcess(mkdtempSync(`${tmpdir()}/asyncflow-stall-`), [
    "--cores",
    "1",
    "--functions-in-thread", // what these tests are about: a function in the agent's thread
    "--module",
    `faulty=${faulty.pathname}`,
  ]);
});
after(async () => {
  await agent.stop();
});

describe("a stalled agent and its sessions' deadlines", () => {
  it("keeps a session open through a SIGSTOP longer than its heartbeat timeout", async () => {
    const sid = await openSession(agent, 300);
    process.kill(agent.pid, "SIGSTOP");
    let answer;
    try {
      // Sent while the agent is stopped: it waits in the kernel, as a heartbeat would.
      answer = call(agent, "GET", `/v1/sessions/${sid}`);
      await new Promise((r) => setTimeout(r, 1_000)); // the length of the fault, not a wait
    } finally {
      process.kill(agent.pid, "SIGCONT");
    }
    const r = await answer;
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.state, "open");
  });

  it("keeps sessions open while a CPU-bound function holds the agent's thread", async () => {
    const other = await openSession(agent, 300);
    const sid = await openSession(agent, 300);
    const r = await call(agent, "POST", `/v1/sessions/${sid}/tasks`, {
      tasks: [{
        id: "b",
        kind: "function",
        fn: { module: "faulty", export: "busy" },
        args: [1_500],
      }],
    });
    assert.equal(r.body.results[0].status, "accepted");
    const beat = call(agent, "POST", `/v1/sessions/${other}/heartbeat`);
    const events = await readEvents(agent, sid, 0, (es) => es.some((e) => e.state !== "running"));
    assert.equal(events.find((e) => e.state !== "running")?.state, "done");
    assert.equal((await beat).status, 200);
    const info = await call(agent, "GET", `/v1/sessions/${other}`);
    assert.equal(info.status, 200, JSON.stringify(info.body));
  });
});
