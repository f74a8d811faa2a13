/**
 * Every process a command starts is reached by cancel, expiry and shutdown, also after its
 * shell has exited, and the command's slots stay taken until its process group is empty.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import process from "node:process";
import { startAgent } from "../../agent/mod.ts";
import { agentProcess, alive, call, openSession, pidIn, readEvents, waitFor } from "./helpers.ts";

const command = (id: string, cmd: string) => ({ id, kind: "executable", command: cmd });

describe("a command's process group", () => {
  it("cancel reaches a background child that holds the output after its shell exited", async () => {
    await using agent = await startAgent({ cores: 1 });
    const work = mkdtempSync(`${tmpdir()}/asyncflow-group-`);
    const sid = await openSession(agent);
    // The shell exits at once; its child keeps stdout open, so the command is still running.
    await call(agent, "POST", `/v1/sessions/${sid}/tasks`, {
      tasks: [command("bg", `sleep 30 & echo $! > ${work}/child; exit 0`)],
    });
    const child = await pidIn(`${work}/child`);
    await call(agent, "POST", `/v1/sessions/${sid}/tasks/bg/cancel`);
    await waitFor(() => !alive(child), "the background child to be killed");
  });

  it("keeps the slots until a finished command's processes are gone", async () => {
    await using agent = await startAgent({ cores: 1 });
    const work = mkdtempSync(`${tmpdir()}/asyncflow-group-`);
    const sid = await openSession(agent);
    const r = await call(agent, "POST", `/v1/sessions/${sid}/tasks`, {
      tasks: [
        // Done at once, but a child (with its own output) goes on using the core a while.
        command("a", `sleep 0.5 > /dev/null 2>&1 & echo $! > ${work}/child`),
        // On the one core only once that child is gone: it says whether it still runs (a
        // zombie counts as gone: an init that does not reap would keep it for ever).
        command(
          "b",
          `c=$(cat ${work}/child); if grep -qs '^State:[[:space:]]*[RSDTtWPI]' /proc/$c/status; ` +
            "then echo busy; else echo free; fi",
        ),
      ],
    });
    assert.equal(r.status, 200);
    const events = await readEvents(
      agent,
      sid,
      0,
      (es) => es.some((e) => e.id === "b" && e.state === "done"),
    );
    assert.equal(events.find((e) => e.id === "b" && e.state === "done")?.value, "free\n");
  });

  it("an expired session ends what its finished commands left running", async () => {
    await using agent = await startAgent({ cores: 1 });
    const work = mkdtempSync(`${tmpdir()}/asyncflow-group-`);
    const sid = await openSession(agent, 300);
    await call(agent, "POST", `/v1/sessions/${sid}/tasks`, {
      tasks: [command("a", `sleep 30 > /dev/null 2>&1 & echo $! > ${work}/child`)],
    });
    const child = await pidIn(`${work}/child`);
    // No more requests: the session expires, and that ends the child the command left behind.
    await waitFor(() => !alive(child), "the expired session's leftover child to be killed");
  });

  it("a SIGTERM to the agent ends a command's background child, and the agent exits", async () => {
    const work = mkdtempSync(`${tmpdir()}/asyncflow-group-`);
    const agent = await agentProcess(mkdtempSync(`${tmpdir()}/asyncflow-group-agent-`), [
      "--cores",
      "1",
    ]);
    try {
      const sid = await openSession(agent);
      await call(agent, "POST", `/v1/sessions/${sid}/tasks`, {
        tasks: [command("bg", `sleep 30 & echo $! > ${work}/child; exit 0`)],
      });
      const child = await pidIn(`${work}/child`);
      process.kill(agent.pid, "SIGTERM");
      let timer: ReturnType<typeof setTimeout> | undefined;
      const bound = new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error("the agent did not exit within 20 s of SIGTERM")),
          20_000,
        );
      });
      try {
        await Promise.race([agent.exited, bound]);
      } finally {
        clearTimeout(timer);
      }
      assert.equal(alive(child), false);
    } finally {
      await agent.stop();
    }
  });
});
