// The agent reached over HTTPS on a certificate it made itself, pinned by the client through the
// endpoint file, on every runtime: the whole backend contract runs through the pinned
// connection; a server with any other certificate, an edited fingerprint, half a pin and a wrong
// token are all refused.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { PassThrough } from "node:stream";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WorkflowEngine } from "../../mod.ts";
import { type AgentHandle, nodeAddress, startAgent } from "../../agent/mod.ts";
import { certificateFingerprint, RemoteBackend } from "../../backends/remote/mod.ts";
import { toWebResponse } from "../../backends/remote/_node_response.ts";
import { backendConformance } from "../backend_conformance.ts";
import * as tasks from "../fixtures/task_functions.ts";

const fixtures = new URL("../fixtures/task_functions.ts", import.meta.url);
let agent: AgentHandle;
let impostor: AgentHandle;
let endpointFile = "";
let written: Record<string, string> = {};
let work = "";

before(async () => {
  agent = await startAgent({ modules: { fixtures }, cores: 4, tls: "self-signed" });
  impostor = await startAgent({ cores: 1, tls: "self-signed" });
  endpointFile = join(agent.dir, "endpoint.json");
  written = JSON.parse(readFileSync(endpointFile, "utf8"));
  work = mkdtempSync(join(tmpdir(), "asyncflow-pin-"));
});
after(async () => {
  await agent.close();
  await impostor.close();
});

/** Writes an endpoint file: the agent's, with `changes` applied (undefined deletes a field). */
function endpointWith(name: string, changes: Record<string, string | undefined>): string {
  const data: Record<string, string | undefined> = { ...written, ...changes };
  const path = join(work, name);
  writeFileSync(path, JSON.stringify(data), { mode: 0o600 });
  return path;
}

/** Opens an engine on the endpoint file and runs one command, or rejects with why not. */
async function runThrough(path: string): Promise<string> {
  await using flow = await WorkflowEngine.create({
    backend: RemoteBackend.fromEndpointFile(path, { modules: { fixtures } }),
  });
  return (await flow.executableTask(() => ["echo", "through"])()).trim();
}

backendConformance("RemoteBackend over HTTPS pinned by its endpoint file", {
  makeBackend: () => RemoteBackend.fromEndpointFile(endpointFile, { modules: { fixtures } }),
});

describe("the agent's self-made certificate, pinned through the endpoint file", () => {
  it("serves HTTPS and writes its certificate and fingerprint beside the token", () => {
    assert.match(agent.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(written.url, agent.url);
    assert.equal(written.token, agent.token);
    const cert = new X509Certificate(written.certificate!);
    assert.equal(cert.fingerprint256, written.fingerprint);
    assert.equal(certificateFingerprint(written.certificate!), written.fingerprint);
    assert.match(cert.subjectAltName ?? "", /IP Address:127\.0\.0\.1/);
    assert.notEqual(
      JSON.parse(readFileSync(join(impostor.dir, "endpoint.json"), "utf8")).fingerprint,
      written.fingerprint,
      "every agent makes its own certificate",
    );
  });

  it("runs commands and functions through the pinned connection", async () => {
    assert.equal(await runThrough(endpointFile), "through");
    await using flow = await WorkflowEngine.create({
      backend: RemoteBackend.fromEndpointFile(endpointFile, { modules: { fixtures } }),
    });
    assert.equal(await flow.functionTask(tasks.add)(2, 3), 5);
  });

  it("refuses a server that presents another certificate, before sending the token", async () => {
    // The agent's pin, another agent's address: a stale file, or someone else on that port.
    const path = endpointWith("impostor.json", { url: impostor.url });
    await assert.rejects(
      runThrough(path),
      /presented a certificate .*not the pinned one \([0-9A-F:]{95}\): it is not the agent that wrote the endpoint file/,
    );
  });

  it("refuses an edited fingerprint, and half a pin", async () => {
    const other = JSON.parse(readFileSync(join(impostor.dir, "endpoint.json"), "utf8"));
    await assert.rejects(
      runThrough(endpointWith("edited.json", { fingerprint: other.fingerprint })),
      /the pinned fingerprint .* is not the fingerprint of the certificate beside it/,
    );
    // The certificate of the impostor with its own fingerprint is consistent, but not the
    // agent's: the handshake refuses it.
    await assert.rejects(
      runThrough(
        endpointWith("swapped.json", {
          certificate: other.certificate,
          fingerprint: other.fingerprint,
        }),
      ),
      /presented a certificate .*not the pinned one/,
    );
    await assert.rejects(
      runThrough(endpointWith("half.json", { certificate: undefined })),
      /must hold both "certificate" and "fingerprint"/,
    );
    await assert.rejects(
      runThrough(endpointWith("plain.json", { url: agent.url.replace("https:", "http:") })),
      /pins a certificate for a URL that is not https/,
    );
  });

  it("refuses a wrong token over the pinned connection", async () => {
    await assert.rejects(
      runThrough(endpointWith("token.json", { token: "A".repeat(43) })),
      /agent answered 401/,
    );
  });
});

let address: string | undefined;
let why = "";
try {
  address = await nodeAddress();
} catch (error) {
  why = (error as Error).message;
}
const skip = address === undefined ? `no cluster address here: ${why}` : false;
if (skip) console.log(`pinning_test: skipped a case: ${skip}`);

describe("an agent on this node's cluster address", () => {
  it("listens on it (--listen node:0) with a certificate for it", { skip }, async () => {
    await using onNode = await startAgent({ listen: "node:0", tls: "self-signed", cores: 1 });
    assert.equal(new URL(onNode.url).hostname, address);
    const file = JSON.parse(readFileSync(join(onNode.dir, "endpoint.json"), "utf8"));
    assert.match(
      new X509Certificate(file.certificate).subjectAltName ?? "",
      new RegExp(`IP Address:${address!.replaceAll(".", "\\.")}`),
    );
    assert.equal(await runThrough(join(onNode.dir, "endpoint.json")), "through");
  });
});

describe("the web Response over a node:https response", () => {
  /** A stand-in for an IncomingMessage: a stream the test feeds by hand. */
  function incoming(): IncomingMessage {
    const res = new PassThrough() as unknown as IncomingMessage;
    Object.assign(res, { statusCode: 200, statusMessage: "OK", rawHeaders: ["X-A", "1"] });
    return res;
  }

  it("streams the body and its headers", async () => {
    const res = incoming();
    const web = toWebResponse(res);
    (res as unknown as PassThrough).end('{"status":"ok"}');
    assert.equal(web.headers.get("x-a"), "1");
    assert.deepEqual(await web.json(), { status: "ok" });
  });

  it("drops data that arrives after the body was cancelled", async () => {
    // RemoteBackend cancels bodies it does not read (the answer to DELETE, for one); Deno's
    // node:https still delivers their data after destroy(), which threw on the closed stream.
    const res = incoming();
    const web = toWebResponse(res);
    await web.body!.cancel();
    assert.doesNotThrow(() => res.emit("data", new TextEncoder().encode("late")));
    assert.doesNotThrow(() => res.emit("end"));
  });

  it("fails the body with the abort reason when the connection closes mid-body", async () => {
    const res = incoming();
    const controller = new AbortController();
    const web = toWebResponse(res, controller.signal);
    controller.abort(new Error("engine shut down"));
    res.emit("close");
    await assert.rejects(web.text(), /engine shut down/);
  });
});
