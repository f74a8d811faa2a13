/// <reference lib="dom" />
/** examples/browser: its server bundles and serves the page; in Chromium the campaigns run and show their progress. */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import type { Browser } from "playwright-core";
import { chromiumSkip, launchChromium } from "../_chromium.ts";
import { ROOT } from "./_bundle.ts";

const skip = chromiumSkip;
let server: ChildProcess;
let url: string;
let browser: Browser;

before(async () => {
  if (skip) return;
  server = spawn(process.execPath, [`${ROOT}examples/browser/serve.ts`, "--port", "0"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  url = await new Promise((resolve, reject) => {
    let out = "";
    server.once("exit", (code) => reject(new Error(`serve.ts exited with ${code}: ${out}`)));
    server.stdout!.on("data", (chunk: Uint8Array) => {
      out += new TextDecoder().decode(chunk);
      const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) resolve(m[1]!);
    });
  });
  browser = await launchChromium();
});
after(async () => {
  if (skip) return;
  await browser?.close();
  server?.kill();
});

describe("examples/browser", { skip }, () => {
  it("runs three campaigns in the page and shows each one's progress", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForFunction(() => document.getElementById("status")?.dataset.done === "true");
    const status = await page.textContent("#status");
    assert.match(status ?? "", /done: campaigns A, B, C in [\d.]+ s/);
    const seconds = Number(/in ([\d.]+) s/.exec(status ?? "")![1]);
    // Four 250 ms steps per campaign: 1 s when the campaigns run concurrently, 3 s serially.
    assert.ok(seconds >= 1 && seconds < 2.5, `took ${seconds} s`);
    for (const name of ["A", "B", "C"]) {
      assert.equal(await page.textContent(`#campaign-${name} span`), ` Campaign ${name}: 4/4 ✓`);
      assert.equal(await page.getAttribute(`#campaign-${name} progress`, "value"), "4");
    }
    assert.deepEqual(errors, []);
    await page.close();
  });
});
