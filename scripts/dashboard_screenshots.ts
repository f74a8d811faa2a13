/**
 * Takes the docs' screenshots of the live dashboard: runs examples/dashboard.ts (1,000 tasks),
 * opens its URL in headless Chromium, and saves the page mid-run and at the end.
 *
 * Usage: deno run -A scripts/dashboard_screenshots.ts [output dir]   (default: docs/images)
 */
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { chromium } from "playwright-core";

const out = process.argv[2] ?? Deno.args[0] ?? "docs/images";
mkdirSync(out, { recursive: true });
const child = spawn(process.execPath, ["run", "-A", "examples/dashboard.ts"], {
  stdio: ["ignore", "pipe", "inherit"],
  env: { ...process.env, ASYNCFLOW_DASHBOARD_EXIT: "0" },
});
const url = await new Promise<string>((resolve) => {
  let text = "";
  child.stdout!.on("data", (c) => {
    text += c;
    const m = /dashboard: (\S+)/.exec(text);
    if (m) resolve(m[1]!);
  });
});
const ended = new Promise<void>((resolve) => {
  child.stdout!.on("data", (c) => String(c).includes("the run has ended") && resolve());
});
const browser = await chromium.launch({
  executablePath: process.env.ASYNCFLOW_CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  await page.goto(url);
  await page.locator('[data-count="done"] b').waitFor();
  for (;;) {
    if (Number(await page.locator('[data-count="done"] b').textContent()) >= 300) break;
    await page.waitForTimeout(100);
  }
  await page.screenshot({ path: join(out, "dashboard-mid-run.png") });
  await ended;
  await page.locator('#live-status[data-state="finished"]').waitFor();
  await page.screenshot({ path: join(out, "dashboard-end.png") });
} finally {
  await browser.close();
  process.kill(child.pid!, "SIGINT");
}
