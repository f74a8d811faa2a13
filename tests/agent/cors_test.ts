import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type AgentHandle, startAgent } from "../../agent/mod.ts";
import { EXIT, main, memoryIo } from "../../cli/main.ts";

const PAGE = "http://127.0.0.1:8123";
let agent: AgentHandle;

before(async () => {
  agent = await startAgent({ corsOrigins: [PAGE, "http://localhost:9000"], cores: 1 });
});
after(async () => {
  await agent.close();
});

function preflight(origin: string): Promise<Response> {
  return fetch(`${agent.url}/v1/sessions`, {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization, content-type",
    },
  });
}

describe("agent CORS (--cors-origin)", () => {
  it("answers an allowed origin's preflight before authentication", async () => {
    const res = await preflight(PAGE);
    assert.equal(res.status, 204);
    assert.equal(res.headers.get("access-control-allow-origin"), PAGE);
    assert.match(res.headers.get("access-control-allow-headers") ?? "", /authorization/);
    assert.match(res.headers.get("access-control-allow-headers") ?? "", /last-event-id/);
    assert.match(res.headers.get("access-control-allow-methods") ?? "", /DELETE/);
  });

  it("refuses another origin's preflight, and sends it no CORS headers", async () => {
    const res = await preflight("http://evil.example");
    assert.equal(res.status, 403);
    assert.equal(res.headers.get("access-control-allow-origin"), null);
    assert.match((await res.json()).error.message, /'http:\/\/evil\.example' is not allowed/);
  });

  it("still requires the token, and lets the page read the answers and the headers it uses", async () => {
    const anonymous = await fetch(`${agent.url}/v1/health`, { headers: { origin: PAGE } });
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get("access-control-allow-origin"), PAGE);
    await anonymous.body?.cancel();
    const ok = await fetch(`${agent.url}/v1/health`, {
      headers: { origin: PAGE, authorization: `Bearer ${agent.token}` },
    });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get("access-control-allow-origin"), PAGE);
    assert.match(ok.headers.get("access-control-expose-headers") ?? "", /x-total-bytes/);
    assert.match(ok.headers.get("vary") ?? "", /origin/i);
    await ok.body?.cancel();
  });

  it("refuses a corsOrigins entry that is not an origin, in the message form of every option", async () => {
    await assert.rejects(
      startAgent({ corsOrigins: [PAGE, "http://a.example/path"], cores: 1 }),
      (e: unknown) => {
        assert.ok(e instanceof TypeError);
        assert.match(
          e.message,
          /^startAgent: 'corsOrigins' must be an origin such as .*, got the string "http:\/\/a\.example\/path"$/,
        );
        return true;
      },
    );
  });

  it("refuses a --cors-origin that is not an origin", async () => {
    for (const origin of ["*", "http://a.example/path"]) {
      const io = memoryIo();
      assert.equal(await main(["agent", "--cors-origin", origin], io), EXIT.usage);
      assert.match(
        io.stderr,
        /^asyncflow agent: '--cors-origin' must be an origin such as .*, got /,
      );
      assert.ok(io.stderr.includes(`got the string ${JSON.stringify(origin)}\n`), io.stderr);
    }
  });
});
