/**
 * The package in headless Chromium: bundled for the browser by esbuild, served from loopback, and
 * run in pages — the core, the worker pool on a cross-origin isolated page and on a plain one,
 * and the remote client against a real agent on another origin.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import type { Browser, Page } from "playwright-core";
import { chromiumSkip, launchChromium } from "../_chromium.ts";
import { type AgentProcess, startAgentProcess } from "./_agent.ts";
import { bundle } from "./_bundle.ts";
import { serveStatic, type StaticServer } from "./_server.ts";

const skip = chromiumSkip;
const PAGES = ["core", "pool", "remote"];
let dir: string;
let server: StaticServer;
let browser: Browser;

before(async () => {
  if (skip) return;
  dir = mkdtempSync(`${tmpdir()}/asyncflow-browser-`);
  await bundle({
    ...Object.fromEntries(PAGES.map((p) => [p, `tests/browser/pages/${p}.ts`])),
    pool_tasks: "tests/browser/pages/pool_tasks.ts",
    worker: "backends/worker_pool/worker.ts",
  }, dir);
  for (const p of PAGES) {
    writeFileSync(
      `${dir}/${p}.html`,
      `<!doctype html><script type="module" src="./${p}.js"></script>`,
    );
  }
  server = await serveStatic(dir);
  browser = await launchChromium();
});
after(async () => {
  if (skip) return;
  await browser?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Opens a page and runs its scenario; page errors fail the test with their message. */
async function runPage(
  path: string,
  input: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  const page: Page = await browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  try {
    await page.goto(`${server.origin}${path}`);
    await page.waitForFunction(() => "runScenario" in globalThis);
    const running = page.evaluate(
      (i) =>
        (globalThis as unknown as {
          runScenario(i: Record<string, string>): Promise<Record<string, unknown>>;
        }).runScenario(i),
      input,
    );
    running.catch(() => {}); // when the bound below wins, the page's close ends it
    // A bound well under the test's own timeout, so that a hang names the step it hung at.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stuck = new Promise<never>((_, reject) => {
      timer = setTimeout(async () => {
        const at = await page.evaluate(() => (globalThis as { scenarioStep?: string }).scenarioStep)
          .catch(() => undefined);
        reject(new Error(`${path} did not finish in 90 s; its last step: ${at ?? "none"}`));
      }, 90_000);
    });
    const result = await Promise.race([running, stuck]).finally(() => clearTimeout(timer));
    assert.deepEqual(errors, []);
    return result;
  } finally {
    await page.close();
  }
}

describe("in Chromium", { skip }, () => {
  it("runs functions and blocks with dependencies, failures, events and the explicit scope form", async () => {
    const r = await runPage("/plain/core.html");
    assert.deepEqual(r.campaigns, [
      { last: "A1-3", workflowId: "main" },
      { last: "A2-3", workflowId: "exp-1" },
    ]);
    assert.deepEqual(r.stepWorkflows, ["exp-1", "main"], "scope.run kept the workflow ids");
    // Named under their blocks (a call after an await only through scope.run: the unattributed
    // one is a bare `step`); an arrow in a bundle has no file of its own: counted, not placed.
    assert.deepEqual(r.names, [
      "boom",
      "campaign[A1]",
      "campaign[A1]/step",
      "campaign[A2]",
      "campaign[A2]/step",
      "executable-1",
      "failing",
      "failing/step",
      "failing/untilStopped",
      "implicit",
      "implicit/step",
      "plusOne",
      "step",
    ], "task names survive bundling (keepNames)");
    assert.deepEqual(r.failure, {
      dependency: true,
      root: { name: "RangeError", message: "out of range" },
    });
    assert.deepEqual(r.blockFailure, { name: "Error", message: "the block fails" });
    const child = r.childAfterAwait as { state: string; error: { name: string } };
    assert.equal(
      child.state,
      "CANCELLED",
      "the block cancelled the child it started after an await",
    );
    assert.equal(child.error.name, "CancelledError");
    // The browser has no async context: the call after an await without scope.run was not
    // attributed to its block, and the engine said so.
    assert.equal(r.orphanWorkflow, "main");
    const warnings = r.warnings as string[];
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /browser has no async context/);
    const executable = r.executable as { message: string };
    assert.match(executable.message, /asyncflow on browser cannot run the command 'echo'/);
    assert.match(executable.message, /RemoteBackend/);
    for (const type of ["created", "queued", "running", "done", "failed", "cancelled"]) {
      assert.ok((r.eventTypes as string[]).includes(type), type);
    }
  });

  for (
    const [path, mode] of [["/isolated/pool.html", "shared-memory"], [
      "/plain/pool.html",
      "messages",
    ]]
  ) {
    it(`runs the worker pool on a ${mode === "messages" ? "plain" : "cross-origin isolated"} page, in "${mode}" mode`, async () => {
      const r = await runPage(path!);
      assert.equal(r.mode, mode);
      assert.equal(r.isolated, mode === "shared-memory");
      assert.deepEqual(r.squares, [1, 4, 9, 16, 25, 36]);
      assert.equal(r.where, "worker");
      assert.equal((r.cancelled as { name: string }).name, "CancelledError");
      const crash = r.crash as { name: string; message: string };
      assert.equal(crash.name, "WorkerCrashError");
      assert.match(crash.message, /boom from a timer/);
      assert.equal(r.after, 81);
      const stats = r.stats as { retired: number; crashed: number };
      assert.equal(stats.retired, 1, "the cancelled task's worker was terminated");
      assert.equal(stats.crashed, 1);
    });
  }

  describe("against a real agent on another origin", () => {
    let agent: AgentProcess;
    before(async () => {
      agent = await startAgentProcess([server.origin]);
    });
    after(async () => {
      await agent?.stop();
    });

    it("runs function and executable tasks through the RemoteBackend, on a page token, with module namespaces", async () => {
      // The page never holds the agent's token: it gets a page token, confined to one session.
      const issued = await fetch(`${agent.url}/v1/page-tokens`, {
        method: "POST",
        headers: { authorization: `Bearer ${agent.token}` },
        body: JSON.stringify({ ttlMs: 60_000 }),
      });
      assert.equal(issued.status, 201);
      const { token } = await issued.json() as { token: string };
      const r = await runPage("/plain/remote.html", { url: agent.url, token });
      assert.equal(r.sum, 7);
      assert.equal(r.ranOn, "agent");
      assert.equal(r.echoed, "4");
      const failed = r.failed as { name: string; message: string };
      assert.equal(failed.name, "ExecutableError");
    });
  });
});
