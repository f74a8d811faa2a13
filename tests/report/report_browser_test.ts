/**
 * Opens a report rendered from a real trace in headless Chromium and checks
 * what a person looks for. Needs Debian's `chromium` package (or
 * `ASYNCFLOW_CHROMIUM=/path/to/chromium`); without it the test is skipped
 * with a message naming the missing binary. Set `ASYNCFLOW_KEEP_SCREENSHOT=1`
 * to keep the screenshot (its path is printed).
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { chromiumSkip, launchChromium } from "../_chromium.ts";
import { buildGraph, localName, type TaskGraph } from "../../graph/mod.ts";
import { criticalPath, renderReport } from "../../report/mod.ts";
import { FAILING_STEP, FAILURE_MESSAGE, recordCampaignTrace } from "./fixtures/campaign_trace.ts";

const TITLE = "Campaigns & <friends>";
const skip = chromiumSkip;

describe("the HTML report in Chromium", () => {
  let dir: string;
  let graph: TaskGraph;
  let browser: Browser | undefined;
  let page: Page;
  const problems: string[] = [];
  const requests: string[] = [];
  const dialogs: string[] = [];
  let reportUrl: string;
  let html: string;

  before(async () => {
    if (skip) return;
    const events = await recordCampaignTrace();
    graph = buildGraph(events);
    dir = mkdtempSync(join(tmpdir(), "asyncflow-report-"));
    const file = join(dir, "report.html");
    html = renderReport(events, { title: TITLE });
    writeFileSync(file, html);
    reportUrl = pathToFileURL(file).href;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1240, height: 900 } });
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") {
        problems.push(`console ${m.type()}: ${m.text()}`);
      }
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("request", (r) => {
      if (r.url() !== reportUrl) requests.push(r.url());
    });
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(reportUrl, { waitUntil: "load" });
  });

  after(async () => {
    await browser?.close();
    if (dir && process.env.ASYNCFLOW_KEEP_SCREENSHOT !== "1") {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("shows the title and the counts", { skip }, async () => {
    assert.equal(await page.title(), TITLE);
    assert.equal(await page.locator("h1").innerText(), TITLE);
    const card = (key: string) => page.locator(`[data-count="${key}"] b`).innerText();
    assert.equal(await card("tasks"), "13");
    assert.equal(await card("blocks"), "3");
    assert.equal(await card("failed"), "4");
    assert.equal(await card("cancelled"), "1");
    assert.equal(await card("retries"), "1");
  });

  it("draws a visible Gantt bar for every attempt of every task", { skip }, async () => {
    const attempts = graph.nodes.reduce((n, t) => n + t.runs.length, 0);
    assert.equal(await page.locator("svg.gantt rect.bar").count(), attempts);
    for (const node of graph.nodes.filter((n) => n.runs.length > 0)) {
      const bars = page.locator(`svg.gantt rect.bar[data-uid="${node.uid}"]`);
      assert.equal(await bars.count(), node.runs.length, node.uid);
      const box = await bars.first().boundingBox();
      assert.ok(box && box.width >= 1 && box.height >= 2, `bar of ${node.uid} is visible`);
    }
  });

  it("shows the failed task with its error text, as text", { skip }, async () => {
    const row = page.locator("#failures tr.primary").first();
    assert.equal(await row.locator("td").nth(1).innerText(), `campaign "B"[B]/${FAILING_STEP}`);
    assert.equal(await row.locator("td.err-name").innerText(), "RangeError");
    // The message as text; a task's own error adds its stack, folded, below it.
    const message = await row.locator("td.err-msg").evaluate((td) => td.firstChild?.textContent);
    assert.equal(message, FAILURE_MESSAGE);
    assert.equal(await page.locator("#cancellations tbody tr").count(), 1);
    assert.deepEqual(dialogs, [], "no script from the trace ran");
  });

  it("shows a tooltip with the error when the failed bar is hovered", { skip }, async () => {
    const failed = graph.nodes.find((n) => localName(graph, n) === FAILING_STEP)!;
    await page.locator(`svg.gantt rect.bar[data-uid="${failed.uid}"]`).hover();
    const tip = page.locator("#tip");
    assert.ok(await tip.isVisible());
    const text = await tip.innerText();
    assert.ok(text.includes(FAILING_STEP) && text.includes(FAILURE_MESSAGE), text);
    assert.ok(
      (await page.locator(`svg.graph g.node.hl[data-uid="${failed.uid}"]`).count()) === 1,
      "graph box highlighted too",
    );
  });

  it("marks the critical path in the graph and the Gantt chart", { skip }, async () => {
    const path = criticalPath(graph).uids;
    assert.ok(path.length >= 2);
    assert.equal(await page.locator("#critical-path li").count(), path.length);
    for (const uid of path) {
      assert.equal(await page.locator(`svg.graph g.node.crit[data-uid="${uid}"]`).count(), 1, uid);
      assert.ok(
        (await page.locator(`svg.gantt rect.bar.crit[data-uid="${uid}"]`).count()) >= 1,
        uid,
      );
    }
    const stroke = await page.locator("svg.graph g.node.crit rect").first().evaluate((el) =>
      // Runs in the page, where `getComputedStyle` is a global.
      (globalThis as unknown as { getComputedStyle(e: unknown): { stroke: string } })
        .getComputedStyle(el).stroke
    );
    assert.equal(stroke, "rgb(142, 36, 170)");
  });

  it("draws every block as a group that encloses its members", { skip }, async () => {
    for (const block of graph.nodes.filter((n) => n.kind === "block")) {
      const group = await page.locator(`svg.graph rect.group[data-group="${block.uid}"]`)
        .boundingBox();
      assert.ok(group, `group of ${block.uid}`);
      for (const member of graph.children.get(block.uid)!) {
        const box = await page.locator(`svg.graph g.node[data-uid="${member}"]`).boundingBox();
        assert.ok(box, `box of ${member}`);
        assert.ok(
          box.x >= group.x - 0.5 && box.y >= group.y - 0.5 &&
            box.x + box.width <= group.x + group.width + 0.5 &&
            box.y + box.height <= group.y + group.height + 0.5,
          `${member} lies inside ${block.uid}`,
        );
      }
    }
  });

  it("sorts the task table by a heading, numbers as numbers, and reverses on a second click", {
    skip,
  }, async () => {
    const table = page.locator("#tasks");
    const durations = () =>
      table.locator("tbody tr").evaluateAll((rows) =>
        rows.map((r) => r.children[4]!.getAttribute("data-v") ?? "")
      );
    const original = await table.locator("tbody tr").evaluateAll((rows) =>
      rows.map((r) => r.getAttribute("data-uid"))
    );
    assert.equal(original.length, graph.nodes.length);
    const heading = table.locator('th button[data-col="4"]');
    await heading.click();
    const up = await durations();
    const known = up.filter((v) => v !== "").map(Number);
    assert.ok(known.length > 1);
    assert.deepEqual(known, [...known].sort((a, b) => a - b), "ascending, as numbers");
    assert.ok(up.indexOf("") === -1 || up.slice(up.indexOf("")).every((v) => v === ""));
    assert.equal(await table.locator("th").nth(4).getAttribute("aria-sort"), "ascending");
    await heading.click();
    const down = (await durations()).filter((v) => v !== "").map(Number);
    assert.deepEqual(down, [...known].sort((a, b) => b - a), "descending");
    assert.equal(await table.locator("th").nth(4).getAttribute("aria-sort"), "descending");
    // By name, as text; the rows are the same rows, only reordered.
    await table.locator('th button[data-col="0"]').click();
    const names = await table.locator("tbody tr td:first-child").allInnerTexts();
    assert.deepEqual(
      names,
      [...names].sort((a, b) => a.localeCompare(b, undefined, { numeric: true })),
    );
    const uids = await table.locator("tbody tr").evaluateAll((rows) =>
      rows.map((r) => r.getAttribute("data-uid"))
    );
    assert.deepEqual([...uids].sort(), [...original].sort());
  });

  it("sorts a table again after the live dashboard replaced the page's content", {
    skip,
  }, async () => {
    const table = page.locator("#tasks");
    await table.locator('th button[data-col="5"]').click(); // attempts, ascending
    const fresh = html.match(/<section id="task-table">(.*?)<\/section>/s)![1]!;
    assert.ok(!fresh.includes("aria-sort"), "the new content comes unsorted");
    await page.locator("#task-table").evaluate((section, content) => {
      section.innerHTML = content;
      section.ownerDocument.dispatchEvent(new Event("asyncflow:update")); // what the dashboard sends
    }, fresh);
    assert.equal(await table.locator("th").nth(5).getAttribute("aria-sort"), "ascending");
    const attempts = await table.locator("tbody tr").evaluateAll((rows) =>
      rows.map((r) => Number(r.children[5]!.getAttribute("data-v")))
    );
    assert.deepEqual(attempts, [...attempts].sort((a, b) => a - b));
    assert.ok(attempts.at(-1)! > attempts[0]!, "the attempts differ, so the order says something");
  });

  it("leads with the root failure, apart from the failures it caused", { skip }, async () => {
    const sections = await page.locator("body > section").evaluateAll((all) =>
      all.map((s) => s.id)
    );
    assert.deepEqual(sections.slice(0, 2), ["summary", "problems"]);
    assert.equal(await page.locator("#failures tbody tr").count(), 1);
    const caused = page.locator("#dependency-failures tbody tr");
    assert.ok((await caused.count()) >= 1);
    const failing = graph.nodes.find((n) => localName(graph, n) === FAILING_STEP)!;
    for (const text of await caused.locator("td.because").allInnerTexts()) {
      assert.ok(text.includes(failing.uid), text);
    }
    assert.equal(await page.locator("#run-status").getAttribute("data-status"), "failed");
  });

  it("renders without console errors or network requests, and screenshots", { skip }, async () => {
    const shot = join(dir, "report.png");
    await page.mouse.move(0, 0);
    await page.screenshot({ path: shot, fullPage: true });
    const png = readFileSync(shot);
    assert.ok(png.length > 10_000 && png.subarray(1, 4).toString() === "PNG");
    if (process.env.ASYNCFLOW_KEEP_SCREENSHOT === "1") console.log(`screenshot: ${shot}`);
    assert.deepEqual(problems, []);
    assert.deepEqual(requests, []);
  });
});
