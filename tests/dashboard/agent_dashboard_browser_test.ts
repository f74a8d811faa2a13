/**
 * `asyncflow dashboard --agent`: the CLI, as a process, follows a real agent on loopback while a
 * client runs a 1,000-task workflow on it through a RemoteBackend, and headless Chromium shows the
 * agent's tasks live — waiting, running, then done, with the resource columns — with no request outside the
 * dashboard's server, no console error, the agent's token nowhere in the page or the CLI's
 * output, and a wrong page token refused. Also: an observer's reads do not keep a session alive.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { chromiumSkip, launchChromium } from "../_chromium.ts";
import { type AgentHandle, startAgent } from "../../agent/mod.ts";
import { RemoteBackend } from "../../backends/remote/mod.ts";
import { WorkflowEngine } from "../../mod.ts";
import { OBSERVER_HEADER } from "../../protocol/v1.ts";
import { cliArgv, tempDir } from "../cli/_helpers.ts";
import { call } from "../agent/helpers.ts";
import { add, waitForFile } from "../fixtures/task_functions.ts";

const SHOTS = process.env.ASYNCFLOW_SCREENSHOTS;
const fixtures = new URL("../fixtures/task_functions.ts", import.meta.url);
let agent: AgentHandle;
let tmp: ReturnType<typeof tempDir>;

before(async () => {
  tmp = tempDir();
  agent = await startAgent({ cores: 2, modules: { fixtures } });
});
after(async () => {
  await agent.close();
  tmp.cleanup();
});

/** The text of a summary card (`running`, `done`, …) on the page. */
function count(page: Page, key: string): Promise<string | null> {
  return page.locator(`[data-count="${key}"] b`).first().textContent();
}

/** `asyncflow dashboard --agent <endpoint file>` as a process; resolves with its page's URL. */
function startDashboard(): { child: ChildProcess; url: Promise<string>; output: () => string } {
  const [exe, ...rest] = cliArgv("dashboard", "--agent", join(agent.dir, "endpoint.json"));
  const child = spawn(exe!, rest, { cwd: tmp.dir, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const url = new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", (chunk) => {
      output += chunk;
      const m = output.match(/^(http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)$/m);
      if (m) resolve(m[1]!);
    });
    child.on("exit", (code) => reject(new Error(`the dashboard exited (${code}): ${output}`)));
  });
  child.stderr!.on("data", (chunk) => (output += chunk));
  return { child, url, output: () => output };
}

describe("asyncflow dashboard --agent in Chromium", { skip: chromiumSkip }, () => {
  let browser: Browser;
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => await browser?.close());

  it("shows a 1,000-task campaign on a running agent live, waiting tasks included, keeping the agent's token out of the page", async () => {
    const gate = join(tmp.dir, "gate");
    const backend = new RemoteBackend({
      url: agent.url,
      token: agent.token,
      modules: { fixtures },
    });
    // Its session is open before the dashboard starts: the first listing finds it.
    const flow = await WorkflowEngine.create({ backend });
    const dashboard = startDashboard();
    const exited = new Promise((resolve) => dashboard.child.on("exit", resolve));
    const page = await browser.newPage({ viewport: { width: 1240, height: 900 } });
    const problems: string[] = [];
    const foreign: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    try {
      const url = await dashboard.url;
      const origin = new URL(url).origin;
      page.on("request", (r) => {
        if (!r.url().startsWith(`${origin}/`)) foreign.push(r.url());
      });
      assert.equal((await page.goto(url, { waitUntil: "load" }))?.status(), 200);

      // Submitted after the dashboard started: one held command, two held functions that take
      // the agent's two Workers, and 997 more functions that wait behind them.
      const held = flow.executableTask(
        () => ["sh", "-c", `while [ ! -e '${gate}' ]; do sleep 0.05; done`],
        { name: "held" },
      );
      const hold = flow.functionTask(waitForFile);
      const sum = flow.functionTask(add);
      const echo = flow.executableTask((n: number) => ["echo", String(n)], { name: "echo" });
      const run = Promise.all([
        held(),
        hold(gate),
        hold(gate),
        ...Array.from({ length: 995 }, (_, i) => sum(i, 1)),
        echo(sum(3, 4)),
      ]);

      // The held tasks run; the functions behind them are shown waiting, from the agent's listing.
      const pending = page.locator('[data-count="pending"] b', { hasText: /^996$/ });
      await pending.waitFor({ timeout: 60_000 });
      assert.equal(await count(page, "running"), "3");
      // A live page says the run goes on, not that it may have been interrupted.
      assert.equal(await page.locator("#run-status").getAttribute("data-status"), "running");
      assert.match(await page.locator("#tasks").textContent() ?? "", /held/);
      if (SHOTS) {
        await page.screenshot({ path: join(SHOTS, "dashboard-agent-mid-run.png") });
      }

      writeFileSync(gate, "");
      await run;
      await page.locator('[data-count="done"] b', { hasText: /^1000$/ }).waitFor({
        timeout: 60_000,
      });
      assert.equal(await count(page, "running"), "0");
      assert.equal(await count(page, "pending"), "0");
      // The agent measured its commands: the task table has the resource columns.
      assert.match(await page.locator("#tasks").innerHTML(), />CPU<\/button>/);
      if (SHOTS) {
        await page.screenshot({ path: join(SHOTS, "dashboard-agent-end.png") });
      }

      const html = await page.content();
      assert.ok(!html.includes(agent.token), "the agent's token is not in the page");
      const wrong = await browser.newPage();
      assert.equal((await wrong.goto(url.replace(/token=[^&]+/, "token=guess")))?.status(), 401);
      await wrong.close();
      assert.deepEqual(foreign, [], "no request leaves the dashboard's own server");
      assert.deepEqual(problems, []);
    } finally {
      await page.close();
      await flow.shutdown();
      dashboard.child.kill("SIGTERM");
      await exited;
    }
    assert.ok(!dashboard.output().includes(agent.token), "the CLI never prints the agent's token");
  });
});

describe("an observer of a session", () => {
  it("does not keep it alive: its client's missed heartbeats still expire it", async () => {
    const { body: open } = await call(agent, "POST", "/v1/sessions", { heartbeatTimeoutMs: 300 });
    const path = `/v1/sessions/${open.session}/tasks`;
    // Reads as often as an observer may (each read would push the deadline out for a client's).
    const deadline = Date.now() + 10_000;
    let status = 200;
    while (status !== 410 && Date.now() < deadline) {
      status = (await call(agent, "GET", path, undefined, { [OBSERVER_HEADER]: "1" })).status;
    }
    assert.equal(status, 410, "the session expired while only an observer read it");
  });
});
