// The agent over TLS, on every runtime's server adapter: a self-signed certificate made with
// openssl, and a client that trusts exactly that certificate (so verification really happens).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { type AgentHandle, startAgent } from "../../agent/mod.ts";

function opensslMissing(): string | false {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return false;
  } catch {
    return "openssl is not installed: cannot make a test certificate";
  }
}
const skip = opensslMissing();
if (skip) console.log(`tls_test: skipped: ${skip}`);

let agent: AgentHandle;
let ca: string;

/** A self-signed certificate and its key, made by openssl for `name` (an IP gets an IP SAN). */
function selfSigned(name: string): { cert: string; key: string } {
  const dir = mkdtempSync(`${tmpdir()}/asyncflow-tls-`);
  const san = /^[\d.]+$/.test(name) ? ["-addext", `subjectAltName=IP:${name}`] : [];
  execFileSync("openssl", [
    ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", `/CN=${name}`],
    ...san,
    ...["-keyout", `${dir}/key.pem`, "-out", `${dir}/cert.pem`],
  ], { stdio: "ignore" });
  return {
    cert: readFileSync(`${dir}/cert.pem`, "utf8"),
    key: readFileSync(`${dir}/key.pem`, "utf8"),
  };
}

before(async () => {
  if (skip) return;
  const own = selfSigned("127.0.0.1");
  ca = own.cert;
  agent = await startAgent({ tls: own });
});
after(async () => {
  if (!skip) await agent.close();
});

/** GET over HTTPS, trusting only `trust`; resolves with the status or rejects on a TLS error. */
function get(url: string, token: string, trust: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { ca: trust, headers: { authorization: `Bearer ${token}` } },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

describe("the agent over TLS", () => {
  it("serves HTTPS with its certificate, and still requires the token", { skip }, async () => {
    assert.match(agent.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(await get(`${agent.url}/v1/health`, agent.token, ca), 200);
    assert.equal(await get(`${agent.url}/v1/health`, "wrong-token", ca), 401);
  });

  it("fails verification for a client that does not trust its certificate", { skip }, async () => {
    const stranger = selfSigned("other").cert;
    await assert.rejects(get(`${agent.url}/v1/health`, agent.token, stranger));
  });
});
