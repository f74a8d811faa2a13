// Runs examples/dashboard.ts as a user does and looks at its dashboard while the campaign runs.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { runtime } from "../../src/host/runtime.ts";

describe("examples/dashboard.ts", () => {
  it("serves the 1,000-task campaign's dashboard while it runs, then exits", async () => {
    const file = fileURLToPath(new URL("../../examples/dashboard.ts", import.meta.url));
    const deno = runtime === "deno";
    const child = spawn(process.execPath, deno ? ["run", "-A", file] : [file], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ASYNCFLOW_DASHBOARD_EXIT: "1" },
    });
    let out = "";
    child.stderr.on("data", (d) => (out += d));
    const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (d) => {
        out += d;
        const m = /dashboard: (\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on("close", () => reject(new Error(`no URL printed: ${out}`)));
    });
    const view = await fetch(url.replace("/?", "/view?"));
    assert.equal(view.status, 200);
    assert.match(await view.text(), /<section id="summary">/);
    assert.equal(await closed, 0, out);
    assert.match(out, /20 campaigns, 1020 tasks and blocks in \d+\.\d s/);
  });
});
