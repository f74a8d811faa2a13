import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { request } from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { readTrace } from "../../graph/mod.ts";
import { renderReportBody } from "../../report/report.ts";
import { serveDashboard } from "../../dashboard/mod.ts";
import { WorkflowEngine } from "../../mod.ts";
import { cliArgv, runCli, tempDir } from "../cli/_helpers.ts";
import { eventReader } from "./_sse.ts";

let tmp: ReturnType<typeof tempDir>;
before(() => (tmp = tempDir()));
after(() => tmp.cleanup());

/** A GET with a Host header of our choosing (fetch does not let one set it). */
function getWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}

describe("the dashboard server", () => {
  it("refuses a wrong token, a foreign Host header, other methods and unknown paths", async () => {
    await using dashboard = await serveDashboard([], { title: "t" });
    const url = new URL(dashboard.url);
    const base = `${url.origin}/`;
    assert.equal((await fetch(base)).status, 401, "no token");
    assert.equal((await fetch(`${base}?token=x${dashboard.token}`)).status, 401);
    assert.equal(
      (await fetch(base, { headers: { authorization: `Bearer ${dashboard.token}` } })).status,
      200,
    );
    assert.equal(await getWithHost(dashboard.url, `evil.example:${dashboard.port}`), 403);
    assert.equal(await getWithHost(dashboard.url, `localhost:${dashboard.port}`), 200);
    assert.equal(await getWithHost(dashboard.url, "localhost:9000"), 200, "through ssh -L 9000:…");
    const post = await fetch(dashboard.url, { method: "POST", body: "x" });
    assert.equal(post.status, 405);
    await post.body?.cancel();
    const missing = await fetch(`${base}nope?token=${dashboard.token}`);
    assert.equal(missing.status, 404);
    assert.equal((await fetch(dashboard.url)).headers.get("cache-control"), "no-store");
  });

  it("streams the version as events arrive, coalesced, and says when the run ended", async () => {
    await using flow = await WorkflowEngine.create();
    await using dashboard = await serveDashboard(flow, { minIntervalMs: 20 });
    const stream = await fetch(dashboard.url.replace("/?", "/events?"));
    assert.equal(stream.headers.get("content-type"), "text/event-stream");
    const events = eventReader(stream);
    assert.equal(await events.next(), "0", "the version when the stream opened");
    await flow.functionTask(function step() {
      return 1;
    })();
    // Six events (created … done), told in one update or a few, each a larger version.
    const seen = [Number(await events.next())];
    while (seen.at(-1)! < 6) seen.push(Number(await events.next()));
    assert.equal(seen.at(-1), 6);
    assert.deepEqual(seen, [...seen].sort((a, b) => a - b));
    dashboard.finish();
    assert.equal(await events.next(), "6 end");
    await events.close();
    const view = await fetch(dashboard.url.replace("/?", "/view?"));
    assert.equal(view.headers.get("x-asyncflow-version"), "6");
    assert.match(await view.text(), /data-count="done"><b>1</);
  });
});

describe("asyncflow dashboard", () => {
  it("serves a past run until Ctrl-C, showing what its report shows", async () => {
    const trace = join(tmp.dir, "run.jsonl");
    const wf = tmp.write(
      "wf.yaml",
      "tasks:\n  ok: { command: 'true' }\n  bad: { command: 'exit 1' }\n",
    );
    const r = await runCli(["run", wf, "--trace", trace, "-q"]);
    assert.equal(r.code, 1);
    const [exe, ...args] = cliArgv("dashboard", trace, "--title", "past run");
    const child = spawn(exe!, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (c) => (stderr += c));
    const exited = new Promise<number | string | null>((resolve) =>
      child.on("exit", (code, signal) => resolve(code ?? signal))
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (c) => {
          out += c;
          const line = out.split("\n").find((l) => l.startsWith("http://127.0.0.1:"));
          if (line) resolve(line.trim());
        });
        child.on("exit", () => reject(new Error(`exited before printing its URL: ${stderr}`)));
      });
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{32}$/);
      const page = await fetch(url);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<title>past run<\/title>/);
      const view = await fetch(url.replace("/?", "/view?"));
      const events = readTrace(readFileSync(trace, "utf8"));
      assert.equal(await view.text(), renderReportBody(events, { title: "past run" }));
      assert.equal((await fetch(url.replace(/token=.*/, "token=no"))).status, 401);
    } finally {
      // Not child.kill(): Deno then reports the signal it sent instead of the exit code.
      process.kill(child.pid!, "SIGINT");
    }
    assert.equal(await exited, 0, stderr);
    assert.match(stderr, /Ctrl-C stops it/);
  });

  it("refuses a bad port and a missing trace with one line", async () => {
    const port = await runCli(["dashboard", "x.jsonl", "--port", "http"]);
    assert.equal(port.code, 2);
    assert.match(port.stderr, /'--port' must be an integer from 0 to 65535, got the string "http"/);
    const missing = await runCli(["dashboard", join(tmp.dir, "none.jsonl")]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read .*none\.jsonl.*: no such file/);
  });
});
