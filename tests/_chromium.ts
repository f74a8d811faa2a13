/**
 * Headless Chromium for the browser tests: Debian's `chromium` (or `ASYNCFLOW_CHROMIUM`), started
 * with the flags this machine needs (its closed network refuses Chromium's background requests).
 */
import { existsSync } from "node:fs";
import process from "node:process";
import { type Browser, chromium } from "playwright-core";

/** The Chromium binary the tests use. */
export const CHROMIUM: string = process.env.ASYNCFLOW_CHROMIUM ?? "/usr/bin/chromium";

/** `false`, or why the browser tests are skipped. */
export const chromiumSkip: false | string = existsSync(CHROMIUM)
  ? false
  : `browser test skipped: no Chromium binary at ${CHROMIUM} (install Debian's 'chromium' package or set ASYNCFLOW_CHROMIUM)`;
if (chromiumSkip) console.warn(chromiumSkip);

/** Starts headless Chromium. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
