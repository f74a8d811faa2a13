/**
 * The package in workerd (miniflare from npm), in a module Worker with no compatibility flags:
 * the core runs a small workflow in the fetch handler, the worker pool refuses clearly, and the
 * remote client runs tasks on a real agent on loopback.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { Miniflare } from "miniflare";
import { type AgentProcess, startAgentProcess } from "../browser/_agent.ts";
import { bundle } from "../browser/_bundle.ts";

let dir: string;
let mf: Miniflare;

before(async () => {
  dir = mkdtempSync(`${tmpdir()}/asyncflow-workerd-`);
  await bundle({ worker: "tests/workerd/worker.ts" }, dir);
  mf = new Miniflare({
    // Given as a module list, so that miniflare does not try to follow the package's dynamic
    // imports of task module URLs (which it refuses when they are not string literals).
    modules: [{
      type: "ESModule",
      path: "worker.js",
      contents: readFileSync(`${dir}/worker.js`, "utf8"),
    }],
    compatibilityDate: "2025-01-01",
    compatibilityFlags: [],
  });
});
after(async () => {
  await mf?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

async function get(path: string): Promise<Record<string, unknown>> {
  const res = await mf.dispatchFetch(`http://worker${path}`);
  const body = await res.json() as Record<string, unknown>;
  assert.equal(res.status, 200, JSON.stringify(body));
  return body;
}

describe("in workerd, without compatibility flags", () => {
  it("runs functions and blocks with dependencies and a failure; an executable says to use a RemoteBackend", async () => {
    const r = await get("/core");
    assert.deepEqual(r.campaigns, ["A1-3", "A2-3"]);
    const failure = r.failure as { dependency: boolean; message: string };
    assert.equal(failure.dependency, true);
    assert.match(failure.message, /dependency 'boom' \(task\.\d+\) failed/);
    const executable = r.executable as { message: string };
    assert.match(executable.message, /asyncflow on workerd cannot run the command 'echo'/);
    assert.match(executable.message, /RemoteBackend \(@asyncflow\/asyncflow\/remote\)/);
  });

  it("refuses to make a worker pool, saying why and what to use", async () => {
    const r = await get("/pool");
    assert.equal(r.name, "Error");
    assert.match(
      r.message as string,
      /WorkerPoolBackend cannot run here: workerd has no Worker \(nor worker_threads\)/,
    );
  });

  describe("with a real agent on loopback", () => {
    let agent: AgentProcess;
    before(async () => {
      agent = await startAgentProcess([]);
    });
    after(async () => {
      await agent?.stop();
    });

    it("runs function and executable tasks through the RemoteBackend, with a module namespace", async () => {
      const query = new URLSearchParams({ url: agent.url, token: agent.token });
      const r = await get(`/remote?${query}`);
      assert.deepEqual(r, { sum: 7, ranOn: "agent", echoed: "4" });
    });
  });
});
