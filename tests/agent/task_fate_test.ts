/**
 * The agent never dies from a task's fate: a session closed while its commands exit, a task
 * function that leaves a rejection nobody handles. Each runs against an agent process, because
 * what is under test is whether that process survives.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import {
  type AgentProcess,
  agentProcess,
  alive,
  call,
  fixtures,
  openSession,
  pidIn,
  readEvents,
  waitFor,
} from "./helpers.ts";

const faulty = new URL("./fixtures/faulty_tasks.ts", import.meta.url);
let agent: AgentProcess;

before(async () => {
  agent = await agentProcess(mkdtempSync(`${tmpdir()}/asyncflow-fate-`), [
    "--cores",
    "2",
    "--functions-in-thread", // what these tests are about: a function in the agent's thread
    "--module",
    `fixtures=${fixtures.pathname}`,
    "--module",
    `faulty=${faulty.pathname}`,
  ]);
});
after(async () => {
  await agent.stop();
});

/** Runs one command in a fresh session and returns its final event. */
async function runCommand(command: string) {
  const sid = await openSession(agent);
  const r = await call(agent, "POST", `/v1/sessions/${sid}/tasks`, {
    tasks: [{ id: "t1", kind: "executable", command }],
  });
  assert.equal(r.body.results[0].status, "accepted");
  const events = await readEvents(agent, sid, 0, (es) => es.some((e) => e.state !== "running"));
  return events.find((e) => e.state !== "running")!;
}

describe("the agent and its tasks' fate", () => {
  it("keeps serving when a session is closed while its command takes a moment to exit and prints", async () => {
    const work = mkdtempSync(`${tmpdir()}/asyncflow-fate-work-`);
    const sid = await openSession(agent);
    // On SIGTERM the command prints and exits a moment later: its output arrives after the close.
    const command = `trap 'sleep 0.3; echo bye; exit 0' TERM; echo $$ > ${work}/pid; ` +
      "echo hello; while :; do sleep 0.05; done";
    const r = await call(agent, "POST", `/v1/sessions/${sid}/tasks`, {
      tasks: [{ id: "t1", kind: "executable", command }],
    });
    assert.equal(r.body.results[0].status, "accepted");
    const pid = await pidIn(`${work}/pid`);
    assert.equal((await call(agent, "DELETE", `/v1/sessions/${sid}`)).status, 200);
    await waitFor(() => !alive(pid), "the command to exit after its SIGTERM");
    // The session's directory goes once its processes are gone, not before.
    await waitFor(() => !existsSync(`${agent.dir}/sessions/${sid}`), "the session's directory");
    assert.equal((await runCommand("echo still here")).value, "still here\n");
    assert.ok(alive(agent.pid), "the agent process lives");
    // Survived without the last-resort guard: nothing was left unhandled.
    assert.equal((await call(agent, "GET", "/v1/metrics")).body.unhandledRejections, 0);
  });

  it("logs and counts a rejection nobody handles in a task function, and goes on", async () => {
    const sid = await openSession(agent);
    const r = await call(agent, "POST", `/v1/sessions/${sid}/tasks`, {
      tasks: [{
        id: "f1",
        kind: "function",
        fn: { module: "faulty", export: "leakRejection" },
        args: [7],
      }],
    });
    assert.equal(r.body.results[0].status, "accepted");
    const events = await readEvents(agent, sid, 0, (es) => es.some((e) => e.state === "done"));
    assert.equal(events.find((e) => e.state === "done")?.value, 7);
    // The rejection is reported after the turn that made it: ask until it is counted.
    let metrics = await call(agent, "GET", "/v1/metrics");
    for (let i = 0; i < 100 && metrics.body.unhandledRejections !== 1; i++) {
      await new Promise((r) => setTimeout(r, 20));
      metrics = await call(agent, "GET", "/v1/metrics");
    }
    assert.equal(metrics.body.unhandledRejections, 1);
    assert.equal((await runCommand("echo after")).value, "after\n");
  });
});
