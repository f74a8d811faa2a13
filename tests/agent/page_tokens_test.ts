import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type AgentHandle, startAgent } from "../../agent/mod.ts";
import { PageTokens } from "../../agent/page_tokens.ts";
import { RemoteBackend } from "../../backends/remote/mod.ts";
import { WorkflowEngine } from "../../mod.ts";
import { add } from "../fixtures/task_functions.ts";
import { call, fixtures, openSession } from "./helpers.ts";

let agent: AgentHandle;

before(async () => {
  agent = await startAgent({ modules: { fixtures }, cores: 1 });
});
after(async () => {
  await agent.close();
});

async function issue(ttlMs?: number): Promise<{ id: string; token: string; expiresAt: number }> {
  const res = await call(agent, "POST", "/v1/page-tokens", ttlMs === undefined ? {} : { ttlMs });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body;
}

describe("page tokens", () => {
  it("run a workflow on the one session the page token opened", async () => {
    const { token } = await issue();
    assert.match(token, /^pt\./);
    const backend = new RemoteBackend({ url: agent.url, token, modules: { fixtures: { add } } });
    await using flow = await WorkflowEngine.create({ backend });
    const sum = flow.functionTask(add);
    assert.equal(await sum(sum(1, 2), 3), 6);
    const echo = flow.executableTask(() => ["echo", "page"]);
    assert.equal(await echo(), "page");
  });

  it("open one session only, and reach nothing else: other sessions, their list, metrics, page tokens", async () => {
    const { token } = await issue();
    const page = { url: agent.url, token };
    const own = await call(page, "POST", "/v1/sessions", {});
    assert.equal(own.status, 201);
    const second = await call(page, "POST", "/v1/sessions", {});
    assert.equal(second.status, 403);
    assert.match(second.body.error.message, /a page token opens one session/);
    assert.equal((await call(page, "GET", `/v1/sessions/${own.body.session}`)).status, 200);
    const other = await openSession(agent);
    for (
      const [method, path] of [
        ["GET", `/v1/sessions/${other}`],
        ["GET", `/v1/sessions/${other}/tasks`],
        ["GET", "/v1/sessions"], // the list of every session is the agent token's
        ["GET", "/v1/metrics"],
        ["POST", "/v1/page-tokens"],
      ] as const
    ) {
      const res = await call(page, method, path, method === "POST" ? {} : undefined);
      assert.equal(res.status, 403, `${method} ${path}`);
      assert.match(res.body.error.message, /reaches only the session it opened/);
    }
  });

  it("are refused once revoked, and a wrong or forged one is refused", async () => {
    const { id, token } = await issue();
    const page = { url: agent.url, token };
    assert.equal((await call(page, "POST", "/v1/sessions", {})).status, 201);
    assert.equal((await call(agent, "DELETE", `/v1/page-tokens/${id}`)).status, 204);
    const after = await call(page, "GET", "/v1/health");
    assert.equal(after.status, 401);
    assert.match(after.body.error.message, /page token unknown, revoked or expired/);
    const forged = `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
    const live = await issue();
    assert.equal((await call({ url: agent.url, token: forged }, "GET", "/v1/health")).status, 401);
    assert.equal(
      (await call({ url: agent.url, token: `${live.token.slice(0, -1)}x` }, "GET", "/v1/health"))
        .status,
      401,
    );
    assert.equal((await call(agent, "DELETE", `/v1/page-tokens/${id}`)).status, 404);
  });

  it("bound their lifetime, naming the value", async () => {
    for (const ttlMs of [0, 10, 25 * 60 * 60_000, 1.5]) {
      const res = await call(agent, "POST", "/v1/page-tokens", { ttlMs });
      assert.equal(res.status, 400, String(ttlMs));
      assert.match(res.body.error.message, /'ttlMs' must be an integer from 1000 to 86400000/);
    }
    const unauthenticated = await fetch(`${agent.url}/v1/page-tokens`, { method: "POST" });
    assert.equal(unauthenticated.status, 401);
    await unauthenticated.body?.cancel();
  });

  it("expire", () => {
    let now = 1_000;
    const tokens = new PageTokens(() => now);
    const { token } = tokens.issue(5_000);
    assert.ok(tokens.check(token));
    now = 5_999;
    assert.ok(tokens.check(token));
    now = 6_000;
    assert.equal(tokens.check(token), undefined);
  });
});
