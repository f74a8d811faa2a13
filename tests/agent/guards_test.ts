/**
 * Small defences: the agent's files are its owner's only, whatever was there before; it says
 * when it listens beyond loopback without TLS; it caps sessions; a missing working directory is
 * named; an idle long poll leaves nothing behind.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { startAgent } from "../../agent/mod.ts";
import { EventLog } from "../../agent/event_log.ts";
import { call, openSession, readEvents } from "./helpers.ts";

describe("agent guards", () => {
  it("makes an existing directory and a stale endpoint.json.tmp its owner's only", async () => {
    const dir = mkdtempSync(`${tmpdir()}/asyncflow-modes-`);
    chmodSync(dir, 0o755);
    writeFileSync(`${dir}/endpoint.json.tmp`, "stale", { mode: 0o644 });
    await using _agent = await startAgent({ dir, cores: 1 });
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(`${dir}/endpoint.json`).mode & 0o777, 0o600);
  });

  it("warns when it listens beyond loopback without TLS, and not on loopback", async () => {
    const said: string[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => said.push(args.join(" "));
    try {
      await using _open = await startAgent({ listen: "0.0.0.0:0", cores: 1 });
      await using _loopback = await startAgent({ cores: 1 });
    } finally {
      console.error = original;
    }
    assert.equal(said.filter((s) => /without TLS/.test(s)).length, 1, said.join("\n"));
    assert.match(said.join("\n"), /0\.0\.0\.0 without TLS.*--tls-cert/);
  });

  it("refuses a session beyond its cap with 503, and takes one again once another closed", async () => {
    await using agent = await startAgent({ cores: 1, maxSessions: 2 });
    const first = await openSession(agent);
    await openSession(agent);
    const refused = await call(agent, "POST", "/v1/sessions", {});
    assert.equal(refused.status, 503);
    assert.equal(refused.body.error.code, "too_many_sessions");
    await call(agent, "DELETE", `/v1/sessions/${first}`);
    assert.equal((await call(agent, "POST", "/v1/sessions", {})).status, 201);
  });

  it("names a missing working directory as the reason a command cannot start", async () => {
    await using agent = await startAgent({ cores: 1 });
    const sid = await openSession(agent);
    await call(agent, "POST", `/v1/sessions/${sid}/tasks`, {
      tasks: [{ id: "t", kind: "executable", command: "true", cwd: "/nonexistent/asyncflow" }],
    });
    const events = await readEvents(agent, sid, 0, (es) => es.some((e) => e.state === "failed"));
    assert.match(
      events.find((e) => e.state === "failed")!.error!.message,
      /working directory '\/nonexistent\/asyncflow' does not exist on the agent's machine/,
    );
  });

  it("forgets a reader that stopped waiting (an idle long poll), by timeout or by abort", async () => {
    const log = new EventLog(10);
    await Promise.all(Array.from({ length: 50 }, () => log.wait(1)));
    const stop = new AbortController();
    const aborted = Array.from({ length: 50 }, () => log.wait(60_000, stop.signal));
    stop.abort();
    await Promise.all(aborted);
    assert.equal(log.waiting, 0);
  });
});
