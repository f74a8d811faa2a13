import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { type AgentHandle, startAgent } from "../../agent/mod.ts";
import {
  alive,
  call,
  fixtures,
  openSession,
  pidIn,
  postRaw,
  readEvents,
  waitFor,
} from "./helpers.ts";

let agent: AgentHandle;

before(async () => {
  agent = await startAgent({
    modules: { fixtures },
    cores: 2,
    retainEvents: 8,
    maxBodyBytes: 1024 * 1024,
  });
});
after(async () => {
  await agent.close();
});

describe("agent HTTP API", () => {
  it("requires the token on every route, compared exactly: 401 without or with a wrong one", async () => {
    for (const path of ["/v1/health", "/v1/metrics", "/v1/sessions", "/nope"]) {
      assert.equal((await fetch(`${agent.url}${path}`)).status, 401, path);
      const wrong = await call(
        { url: agent.url, token: `${agent.token.slice(0, -1)}x` },
        "GET",
        path,
      );
      assert.equal(wrong.status, 401, path);
      assert.equal(wrong.body.error.code, "unauthorized");
    }
    const basic = await fetch(`${agent.url}/v1/health`, {
      headers: { authorization: "Basic abc" },
    });
    assert.equal(basic.status, 400);
    assert.equal((await basic.json()).error.code, "bad_request");
    assert.equal((await call(agent, "GET", "/v1/health")).body.status, "ok");
  });

  it("keeps the token in a 0600 file and the endpoint beside it", () => {
    assert.equal(statSync(`${agent.dir}/token`).mode & 0o777, 0o600);
    assert.equal(readFileSync(`${agent.dir}/token`, "utf8").trim(), agent.token);
    const endpoint = JSON.parse(readFileSync(`${agent.dir}/endpoint.json`, "utf8"));
    assert.deepEqual([endpoint.url, endpoint.token], [agent.url, agent.token]);
    assert.equal(statSync(`${agent.dir}/endpoint.json`).mode & 0o777, 0o600);
  });

  it("answers malformed, mistyped, huge and tricky requests with a JSON error, and keeps serving", async () => {
    const sid = await openSession(agent);
    const tasks = `/v1/sessions/${sid}/tasks`;
    const cases: [string, string, unknown, number, string][] = [
      ["POST", "/v1/sessions", "{not json", 400, "bad_json"],
      ["POST", "/v1/sessions", { heartbeatTimeoutMs: "soon" }, 400, "bad_request"],
      ["POST", "/v1/sessions", [1, 2], 400, "bad_request"],
      ["POST", "/v1/sessions", { extra: true }, 400, "bad_request"],
      ["POST", tasks, "", 400, "bad_request"],
      ["POST", tasks, "[[[[", 400, "bad_json"],
      ["POST", tasks, { tasks: "all of them" }, 400, "bad_request"],
      ["POST", tasks, { tasks: new Array(5000).fill(0) }, 400, "bad_request"],
      ["POST", tasks, "\u0000\u0001\u0002", 400, "bad_json"],
      ["GET", "/v1/sessions/../../etc/passwd", undefined, 404, "not_found"],
      ["GET", "/v1/sessions/..%2F..%2Fetc%2Fpasswd/tasks", undefined, 404, "unknown_session"],
      ["GET", `/v1/sessions/${"f".repeat(32)}/tasks`, undefined, 404, "unknown_session"],
      ["GET", `/v1/sessions/${sid}/tasks/..%2F..%2Ftoken/stdout`, undefined, 400, "bad_request"],
      ["GET", `/v1/sessions/${sid}/tasks/nope/stdout`, undefined, 404, "unknown_task"],
      ["GET", `/v1/sessions/${sid}/tasks?offset=-1`, undefined, 400, "bad_request"],
      ["GET", `/v1/sessions/${sid}/events?after=abc`, undefined, 400, "bad_request"],
      ["GET", `/v1/sessions/${sid}/events?after=0&wait=forever`, undefined, 400, "bad_request"],
      ["DELETE", "/v1/health", undefined, 404, "not_found"],
      ["GET", "/v2/anything", undefined, 404, "not_found"],
    ];
    for (const [method, path, body, status, code] of cases) {
      const r = await call(agent, method, path, body);
      assert.equal(r.status, status, `${method} ${path}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body?.error?.code, code, `${method} ${path}`);
      assert.equal(typeof r.body.error.message, "string");
    }
    const huge = JSON.stringify({
      tasks: [{ id: "x", kind: "executable", command: "x".repeat(2_000_000) }],
    });
    const big = await postRaw(agent, tasks, huge);
    assert.equal(big.status, 413);
    assert.equal(big.body.error.code, "too_large");
    const mixed = await call(agent, "POST", tasks, {
      tasks: [
        null,
        { id: "../../x", kind: "executable", command: "true" },
        { id: "t1", kind: "function", fn: { module: "fixtures", export: "nope" }, args: [] },
        { id: "t2", kind: "function", fn: { module: "elsewhere", export: "add" }, args: [] },
        { id: "t3", kind: "executable", command: [] },
        { id: "t4", kind: "executable", command: "true", resources: { ranks: 0 } },
        { id: "ok", kind: "function", fn: { module: "fixtures", export: "add" }, args: [1, 2] },
      ],
    });
    assert.equal(mixed.status, 200);
    assert.deepEqual(mixed.body.results.map((r: { status: string }) => r.status), [
      "rejected",
      "rejected",
      "rejected",
      "rejected",
      "rejected",
      "rejected",
      "accepted",
    ]);
    assert.match(mixed.body.results[2].error, /no function export 'nope'/);
    assert.match(mixed.body.results[3].error, /unknown module 'elsewhere'/);
    assert.equal((await call(agent, "GET", "/v1/health")).body.status, "ok");
  });

  it("runs a retried batch once: repeated task ids are duplicates", async () => {
    const sid = await openSession(agent);
    const file = `${mkdtempSync(`${tmpdir()}/asyncflow-idem-`)}/runs`;
    const batch = {
      tasks: [{ id: "task.000001#2", kind: "executable", command: `echo run >> ${file}` }],
    };
    const first = await call(agent, "POST", `/v1/sessions/${sid}/tasks`, batch);
    const again = await call(agent, "POST", `/v1/sessions/${sid}/tasks`, batch);
    assert.equal(first.body.results[0].status, "accepted");
    assert.equal(again.body.results[0].status, "duplicate");
    const events = await readEvents(agent, sid, 0, (es) => es.some((e) => e.state === "done"));
    assert.deepEqual(events.map((e) => [e.seq, e.state]), [[1, "running"], [2, "done"]]);
    assert.equal(readFileSync(file, "utf8"), "run\n");
    const task = await call(
      agent,
      "GET",
      `/v1/sessions/${sid}/tasks/${encodeURIComponent("task.000001#2")}`,
    );
    assert.equal(task.body.state, "done");
  });

  it("serves events by long poll, and answers 410 for a cursor older than what it keeps", async () => {
    const sid = await openSession(agent);
    const tasks = Array.from(
      { length: 10 },
      (_, i) => ({
        id: `f${i}`,
        kind: "function",
        fn: { module: "fixtures", export: "add" },
        args: [i, 1],
      }),
    );
    await call(agent, "POST", `/v1/sessions/${sid}/tasks`, { tasks });
    // Each long poll from the session's last event answers once there is one after it
    // (functions run on Workers: not all of them are done when the batch is answered).
    for (;;) {
      const { body } = await call(agent, "GET", `/v1/sessions/${sid}`);
      if (body.seq === 20) break;
      const poll = await call(
        agent,
        "GET",
        `/v1/sessions/${sid}/events?after=${body.seq}&wait=5000`,
      );
      if (poll.status === 410) continue; // more than the 8 kept arrived meanwhile: read seq again
      assert.equal(poll.status, 200);
      assert.ok(
        poll.body.last > body.seq,
        `no event after ${body.seq}: ${JSON.stringify(poll.body)}`,
      );
    }
    const old = await call(agent, "GET", `/v1/sessions/${sid}/events?after=1&wait=0`);
    assert.equal(old.status, 410);
    assert.equal(old.body.error.code, "cursor_expired");
    const listing = await call(agent, "GET", `/v1/sessions/${sid}/tasks`);
    assert.equal(listing.body.seq, 20);
    assert.deepEqual(listing.body.tasks.map((t: { value: number }) => t.value), [
      1,
      2,
      3,
      4,
      5,
      6,
      7,
      8,
      9,
      10,
    ]);
  });

  it("cancels the session of a client that stops sending heartbeats, and kills its processes", async () => {
    const sid = await openSession(agent, 300);
    const dir = mkdtempSync(`${tmpdir()}/asyncflow-vanish-`);
    await call(agent, "POST", `/v1/sessions/${sid}/tasks`, {
      tasks: [{ id: "long", kind: "executable", command: `echo $$ > ${dir}/pid; exec sleep 30` }],
    });
    const pid = await pidIn(`${dir}/pid`);
    await waitFor(() => !alive(pid), "the vanished client's process to be killed");
    const gone = await call(agent, "GET", `/v1/sessions/${sid}`);
    assert.equal(gone.status, 410);
    assert.equal(gone.body.error.code, "session_expired");
  });

  it("forgets an expired session after the retention window: memory, files and journal", async () => {
    await using short = await startAgent({ forgetExpiredAfterMs: 300 });
    const sid = await openSession(short, 200);
    const sent = await call(short, "POST", `/v1/sessions/${sid}/tasks`, {
      tasks: [{ id: "t", kind: "executable", command: ["echo", "hi"] }],
    });
    assert.equal(sent.status, 200);
    // No event tells that a session was forgotten, and any request to the session would count
    // as a heartbeat: poll the agent's metrics, with a deadline.
    const deadline = Date.now() + 10_000;
    while ((await call(short, "GET", "/v1/metrics")).body.sessions !== 0) {
      if (Date.now() > deadline) throw new Error("the expired session was never forgotten");
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal((await call(short, "GET", `/v1/sessions/${sid}`)).status, 404);
    assert.equal(existsSync(`${short.dir}/sessions/${sid}`), false, "its files are removed");
    const journal = readFileSync(`${short.dir}/journal.jsonl`, "utf8");
    assert.ok(journal.includes(`{"t":"close","sid":"${sid}"}`), "a restart forgets it too");
  });
});
