/**
 * The agent's HTTP app on its own (no server): the middleware chain runs `before` ahead of the
 * token check, and the routers of each resource answer under their prefixes.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { AgentCore } from "../../agent/agent_core.ts";
import { AgentLog } from "../../agent/agent_log.ts";
import { createApp } from "../../agent/http_api.ts";
import { localAllocation } from "../../agent/placement/allocation.ts";
import { LocalBackend } from "../../src/local_backend.ts";

let core: AgentCore;

before(async () => {
  core = await AgentCore.create({
    dir: mkdtempSync(`${tmpdir()}/asyncflow-routes-`),
    allocation: localAllocation(1),
    launch: "fork",
    modules: new Map(),
    functionBackend: new LocalBackend({ name: "routes-test" }),
    retainEvents: 100,
    forgetExpiredAfterMs: 60_000,
    log: new AgentLog({ level: "error", stderr: () => {} }),
  });
});
after(async () => await core.close());

const token = "t".repeat(43);
const auth = { authorization: `Bearer ${token}` };

function app(extra: Parameters<typeof createApp>[1]["before"] = []) {
  return createApp(core, {
    token,
    maxBodyBytes: 1024 * 1024,
    maxSessions: 10,
    streams: () => new AbortController().signal,
    before: extra,
    dir: mkdtempSync(`${tmpdir()}/asyncflow-routes-app-`),
  });
}

describe("the agent's HTTP app", () => {
  it("runs the `before` middleware ahead of the token check, and the token check ahead of every route", async () => {
    const seen: string[] = [];
    const handler = app([async (c, next) => {
      seen.push(c.req.method);
      if (c.req.method === "OPTIONS") return c.body(null, 204);
      await next();
    }]);
    const preflight = await handler.fetch(
      new Request("http://x/v1/sessions", { method: "OPTIONS" }),
    );
    assert.equal(preflight.status, 204);
    const anonymous = await handler.fetch(new Request("http://x/v1/health"));
    assert.equal(anonymous.status, 401);
    assert.equal((await anonymous.json()).error.code, "unauthorized");
    assert.deepEqual(seen, ["OPTIONS", "GET"]);
  });

  it("answers each resource under its prefix, the session's params reaching the nested routers", async () => {
    const handler = app();
    const get = (path: string, init: RequestInit = {}) =>
      handler.fetch(new Request(`http://x${path}`, { ...init, headers: auth }));
    assert.equal((await (await get("/v1/health")).json()).status, "ok");
    assert.equal(typeof (await (await get("/v1/metrics")).json()).tasks.queued, "number");
    const opened = await get("/v1/sessions", { method: "POST", body: "{}" });
    assert.equal(opened.status, 201);
    const { session } = await opened.json();
    const tasks = [{ id: "a", kind: "executable", command: "echo a" }];
    const submitted = await get(`/v1/sessions/${session}/tasks`, {
      method: "POST",
      body: JSON.stringify({ tasks }),
    });
    assert.deepEqual((await submitted.json()).results, [{ id: "a", status: "accepted" }]);
    const one = await (await get(`/v1/sessions/${session}/tasks/a`)).json();
    assert.equal(one.id, "a");
    const poll = await (await get(`/v1/sessions/${session}/events?after=0&wait=0`)).json();
    assert.equal(typeof poll.last, "number");
    const unknown = await get(`/v1/sessions/${"f".repeat(32)}/tasks`);
    assert.equal(unknown.status, 404);
    assert.equal((await unknown.json()).error.code, "unknown_session");
    const nowhere = await get("/v1/nowhere");
    assert.equal(nowhere.status, 404);
    assert.match((await nowhere.json()).error.message, /no route GET \/v1\/nowhere/);
    assert.equal((await get(`/v1/sessions/${session}`, { method: "DELETE" })).status, 200);
  });
});
