/**
 * The agent's record of each run (sent on the final event, kept in the listing) and its log
 * (`DIR/agent.log`: what it does, at the level asked, rotated, never a secret).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { startAgent } from "../../agent/mod.ts";
import { AgentLog } from "../../agent/agent_log.ts";
import type { WireEvent } from "../../protocol/v1.ts";
import { call, type Loose, openSession, readEvents } from "./helpers.ts";

const SECRET = "s3cr3t-value-never-logged";

describe("the agent's record of a run", () => {
  it("sends the command as run, cwd, host, pid, times, exit and output sizes on the final event", async () => {
    await using agent = await startAgent({ cores: 1 });
    const sid = await openSession(agent);
    const cwd = mkdtempSync(`${tmpdir()}/asyncflow-record-cwd-`);
    const tasks = [
      { id: "ok", kind: "executable", command: "echo out; echo err >&2", cwd },
      { id: "bad", kind: "executable", command: ["sh", "-c", "exit 3"] },
    ];
    const submitted = await call(agent, "POST", `/v1/sessions/${sid}/tasks`, { tasks });
    assert.equal(submitted.status, 200);
    const events = await readEvents(
      agent,
      sid,
      0,
      (es) => es.filter((e) => e.state !== "running").length === 2,
    );
    const ok = events.find((e) => e.id === "ok" && e.state === "done")!;
    const bad = events.find((e) => e.id === "bad" && e.state === "failed")!;
    assert.deepEqual(ok.command, ["/bin/sh", "-c", "echo out; echo err >&2"]);
    assert.equal(ok.cwd, cwd);
    assert.equal(ok.host, hostname());
    assert.ok(Number.isInteger(ok.pid) && ok.pid! > 1, `pid ${ok.pid}`);
    assert.equal(ok.exitCode, 0);
    assert.equal(ok.signal, null);
    assert.ok(ok.startedAt! <= ok.endedAt! && ok.endedAt! <= ok.time, JSON.stringify(ok));
    assert.equal(ok.value, "out\n");
    assert.equal(ok.stdoutBytes, 4);
    assert.equal(ok.stderrBytes, 4);
    assert.deepEqual(bad.command, ["sh", "-c", "exit 3"]);
    assert.equal(bad.exitCode, 3);
    assert.equal(bad.error?.exitCode, 3);
    // The listing (what a re-syncing client reads) keeps the record too.
    const listing = await call(agent, "GET", `/v1/sessions/${sid}/tasks`);
    const listed = listing.body.tasks.find((e: Loose) => e.id === "ok") as WireEvent;
    assert.equal(listed.pid, ok.pid);
    assert.equal(listed.exitCode, 0);
  });

  it("records a function's host and times", async () => {
    const fixtures = new URL("../fixtures/task_functions.ts", import.meta.url);
    await using agent = await startAgent({ cores: 1, modules: { fixtures } });
    const sid = await openSession(agent);
    const task = {
      id: "f",
      kind: "function",
      fn: { module: "fixtures", export: "add" },
      args: [1, 2],
    };
    await call(agent, "POST", `/v1/sessions/${sid}/tasks`, { tasks: [task] });
    const events = await readEvents(agent, sid, 0, (es) => es.some((e) => e.state === "done"));
    const done = events.find((e) => e.state === "done")!;
    assert.equal(done.value, 3);
    assert.equal(done.host, hostname());
    assert.ok(done.startedAt! <= done.endedAt!, JSON.stringify(done));
    assert.equal(done.pid, undefined);
  });
});

describe("the agent's log", () => {
  it("says what the agent does, at info, in DIR/agent.log, and never a token or an env value", async () => {
    const agent = await startAgent({ cores: 1 });
    const sid = await openSession(agent);
    const tasks = [
      { id: "t1", kind: "executable", command: "echo hi", env: { SECRET_VALUE: SECRET } },
      { id: "t2", kind: "executable", command: "kill -9 $$" },
      { id: "t3", kind: "nonsense" },
    ];
    await call(agent, "POST", `/v1/sessions/${sid}/tasks`, { tasks });
    await readEvents(agent, sid, 0, (es) => es.filter((e) => e.state !== "running").length === 2);
    await call(agent, "DELETE", `/v1/sessions/${sid}`);
    await agent.close();
    const log = readFileSync(`${agent.dir}/agent.log`, "utf8");
    const lines = log.trimEnd().split("\n");
    const find = (pattern: RegExp) => lines.find((l) => pattern.test(l));
    assert.ok(find(/ info agent started url=http:\/\/127\.0\.0\.1:\d+ /), log);
    assert.ok(find(new RegExp(` info session opened session=${sid} `)), log);
    assert.ok(find(/ info tasks accepted .* accepted=2 duplicate=0 rejected=1/), log);
    assert.ok(find(/ info task rejected .* id=t3 /), log);
    assert.ok(
      find(
        / info task started .* id=t1 n=1 kind=executable host=\S+ pid=\d+ command="\/bin\/sh -c echo hi" cwd=/,
      ),
      log,
    );
    assert.ok(find(/ info task done .* id=t1 n=1 exitCode=0 signal=null durationMs=\d+/), log);
    assert.ok(
      find(/ info task failed .* id=t2 n=2 exitCode=null signal=SIGKILL durationMs=\d+ error=/),
      log,
    );
    assert.ok(find(new RegExp(` info session closed session=${sid} `)), log);
    assert.ok(find(/ info agent stopped$/), log);
    assert.ok(!log.includes(agent.token), "the token is not in the log");
    assert.ok(!log.includes(SECRET), "an env value is not in the log");
    assert.equal(statSync(`${agent.dir}/agent.log`).mode & 0o777, 0o600);
  });

  it("writes only what the level asks for", async () => {
    const agent = await startAgent({ cores: 1, logLevel: "warn" });
    const sid = await openSession(agent);
    await call(agent, "POST", `/v1/sessions/${sid}/tasks`, {
      tasks: [{ id: "t1", kind: "executable", command: "true" }],
    });
    await readEvents(agent, sid, 0, (es) => es.some((e) => e.state === "done"));
    await agent.close();
    assert.equal(readFileSync(`${agent.dir}/agent.log`, "utf8"), "");
  });

  it("is rotated past its bound, so it holds at most twice that", () => {
    const file = `${mkdtempSync(`${tmpdir()}/asyncflow-log-`)}/agent.log`;
    const log = new AgentLog({ file, level: "debug", maxBytes: 4096, stderr: () => {} });
    for (let i = 0; i < 500; i++) {
      log.debug("line", { i, pad: "x".repeat(50) });
      if (i % 10 === 0) log.flush();
    }
    log.close();
    assert.ok(existsSync(`${file}.1`), "rotated once it passed 4 KiB");
    assert.ok(statSync(file).size <= 4096, `${statSync(file).size} bytes`);
    assert.ok(statSync(`${file}.1`).size <= 4096, `${statSync(`${file}.1`).size} bytes`);
    assert.match(readFileSync(file, "utf8"), /i=499 /);
  });

  it("cuts a long value and refuses an unknown level", () => {
    const lines: string[] = [];
    const log = new AgentLog({ level: "warn", stderr: (l) => lines.push(l) });
    log.warn("long", { command: "y".repeat(5000) });
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^asyncflow agent: warn: long command="y{1000}…\(5000 chars\)"\n$/);
    assert.throws(
      () => new AgentLog({ level: "loud" as never }),
      /'level' must be one of error, warn, info, debug, got 'loud'/,
    );
  });
});
