/**
 * Watches a real workflow on the live dashboard in headless Chromium: the page updates while tasks
 * run, ends equal to the report of the same events, makes no request outside its own loopback
 * server, logs no error, and a wrong token is refused. Needs Debian's `chromium` (or
 * `ASYNCFLOW_CHROMIUM`); without it the test is skipped with a message naming the binary.
 * `ASYNCFLOW_SCREENSHOTS=<dir>` saves the page mid-run and at the end.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { chromiumSkip, launchChromium } from "../_chromium.ts";
import { type TaskEvent, WorkflowEngine } from "../../mod.ts";
import { serveDashboard } from "../../dashboard/mod.ts";
import { renderReport } from "../../report/mod.ts";

const SHOTS = process.env.ASYNCFLOW_SCREENSHOTS;
const skip = chromiumSkip;

/** The text of a summary card (`running`, `done`, …) on the page. */
function count(page: Page, key: string): Promise<string | null> {
  return page.locator(`[data-count="${key}"] b`).first().textContent();
}

describe("the live dashboard in Chromium", { skip }, () => {
  let browser: Browser;
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => await browser?.close());

  it("updates while a workflow runs and ends equal to the report", async () => {
    const events: TaskEvent[] = [];
    const flow = await WorkflowEngine.create({ uid: "live" });
    flow.subscribe((e) => events.push(e));
    const dashboard = await serveDashboard(flow, { title: "sweep <live>", minIntervalMs: 50 });
    const origin = new URL(dashboard.url).origin;
    const page = await browser.newPage({ viewport: { width: 1240, height: 900 } });
    const problems: string[] = [];
    const foreign: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("request", (r) => {
      if (!r.url().startsWith(`${origin}/`)) foreign.push(r.url());
    });
    try {
      const response = await page.goto(dashboard.url, { waitUntil: "load" });
      assert.equal(response?.status(), 200);
      assert.equal(await count(page, "tasks"), "0");

      const gate = Promise.withResolvers<void>();
      const point = flow.functionTask(async function point(i: number) {
        await gate.promise;
        return i * i;
      });
      const generate = flow.executableTask(function generate(v: number) {
        return ["echo", String(v)];
      });
      const run = flow.block(async function sweep() {
        return await Promise.all(Array.from({ length: 5 }, (_, i) => generate(point(i))));
      })();

      // The block and its five points run, and the page says so while they do.
      await page.locator('[data-count="running"] b', { hasText: /^6$/ }).waitFor({
        timeout: 30_000,
      });
      assert.equal(await count(page, "pending"), "5", "the five commands wait for their points");
      assert.equal(await page.locator("#live-status").textContent(), "live");
      // With no news from the running points, the page still moves on: their durations grow.
      const running = "#tasks tr:has(td.s-running) td:nth-child(5)";
      const before = Number(await page.locator(running).first().getAttribute("data-v"));
      await page.waitForFunction(
        ([selector, then]) => {
          const { document } = globalThis as unknown as {
            document: { querySelector(s: string): { getAttribute(n: string): string } | null };
          };
          return Number(document.querySelector(selector)?.getAttribute("data-v")) > then;
        },
        [running, before] as const,
        { timeout: 30_000 },
      );
      if (SHOTS) {
        await page.screenshot({ path: join(SHOTS, "dashboard-mid-run.png"), fullPage: true });
      }

      gate.resolve();
      assert.deepEqual(await run, ["0", "1", "4", "9", "16"]);
      dashboard.finish();
      await page.locator('#live-status[data-state="finished"]').waitFor({ timeout: 30_000 });
      assert.equal(await count(page, "done"), "11");
      assert.equal(await count(page, "running"), "0");
      if (SHOTS) await page.screenshot({ path: join(SHOTS, "dashboard-end.png"), fullPage: true });

      // The finished page shows what the report of the same events shows, section by section.
      const live = await page.locator("#report > section").evaluateAll((all) =>
        all.map((s) => s.outerHTML)
      );
      const reportPage = await browser.newPage();
      await reportPage.setContent(renderReport(events, { title: "sweep <live>" }));
      const report = await reportPage.locator("body > section").evaluateAll((all) =>
        all.map((s) => s.outerHTML)
      );
      await reportPage.close();
      assert.equal(live.length, 7); // summary, failures, by template, timeline, utilisation, graph, tasks
      assert.deepEqual(live, report);

      // Hovering still shows a tooltip after the content was replaced.
      await page.locator("svg.gantt rect.bar").first().hover();
      assert.equal(await page.locator("#tip").isVisible(), true);

      const wrong = await browser.newPage();
      const refused = await wrong.goto(dashboard.url.replace(/token=[^&]+/, "token=guess"));
      assert.equal(refused?.status(), 401);
      await wrong.close();

      assert.deepEqual(foreign, [], "no request leaves the dashboard's own server");
      assert.deepEqual(problems, []);
    } finally {
      await page.close();
      await dashboard.close();
      await flow.shutdown();
    }
  });
});
