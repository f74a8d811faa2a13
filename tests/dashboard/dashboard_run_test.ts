import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import process from "node:process";
import { after, before, describe, it } from "node:test";
import { cliArgv, runCli, tempDir } from "../cli/_helpers.ts";
import { eventReader } from "./_sse.ts";

let tmp: ReturnType<typeof tempDir>;
before(() => (tmp = tempDir()));
after(() => tmp.cleanup());

/** The CLI as a process, with its stderr kept and a way to wait for a line of it. */
function startCli(...args: string[]) {
  const [exe, ...rest] = cliArgv(...args);
  const child: ChildProcess = spawn(exe!, rest, {
    cwd: tmp.dir,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  const waiters: { pattern: RegExp; resolve(m: RegExpMatchArray): void }[] = [];
  child.stderr!.on("data", (chunk) => {
    stderr += chunk;
    for (const w of [...waiters]) {
      const m = stderr.match(w.pattern);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  const exited = new Promise<number | string | null>((resolve) =>
    child.on("exit", (code, signal) => resolve(code ?? signal))
  );
  return {
    child,
    exited,
    stderr: () => stderr,
    /** Resolves with the first match of `pattern` in stderr; rejects if the process exits first. */
    line(pattern: RegExp): Promise<RegExpMatchArray> {
      const m = stderr.match(pattern);
      if (m) return Promise.resolve(m);
      return new Promise((resolve, reject) => {
        waiters.push({ pattern, resolve });
        void exited.then(() => reject(new Error(`exited before ${pattern}: ${stderr}`)));
      });
    },
  };
}

const URL_LINE = /dashboard: (http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{32}) \(/;

describe("asyncflow run --dashboard", () => {
  it("serves the run live, with its token, while a task runs, and closes at the end", async () => {
    const gate = join(tmp.dir, "gate");
    execFileSync("mkfifo", [gate]);
    const wf = tmp.write(
      "gated.yaml",
      `name: gated\ntasks:\n  first: { command: 'echo one' }\n` +
        `  gated: { command: 'read line < "${gate}"; echo "$line"' }\n`,
    );
    const cli = startCli("run", wf, "--dashboard", "--runs-dir", join(tmp.dir, "runs"), "-q");
    let opened = false;
    try {
      const url = (await cli.line(URL_LINE))[1]!;
      const page = await fetch(url);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<title>asyncflow: gated<\/title>/);
      assert.equal((await fetch(url.replace(/token=.*/, "token=wrong"))).status, 401);
      assert.equal((await fetch(new URL(url).origin + "/")).status, 401, "no token");

      // Each update of the stream: the view then, until it shows `first` done and `gated` running.
      const events = eventReader(await fetch(url.replace("/?", "/events?")));
      let view = "";
      while (!/data-count="running"><b>1</.test(view) || !/data-count="done"><b>1</.test(view)) {
        assert.doesNotMatch(await events.next(), /end/, "the run cannot end while gated");
        view = await (await fetch(url.replace("/?", "/view?"))).text();
      }
      assert.match(view, /gated/);
      // Released, the task ends, the stream says so, and the command exits with the run's code.
      opened = true;
      await writeFile(gate, "go\n");
      let last = await events.next();
      while (!last.endsWith(" end")) last = await events.next();
      await events.close();
      assert.equal(await cli.exited, 0, cli.stderr());
      await assert.rejects(fetch(url), "the dashboard closes with the command");
    } finally {
      if (!opened) await writeFile(gate, "go\n").catch(() => {});
      cli.child.kill();
    }
  });

  it("with --dashboard-keep, serves the finished run until Ctrl-C", async () => {
    const wf = tmp.write("one.yaml", "name: one\ntasks:\n  only: { command: 'echo 1' }\n");
    const cli = startCli("run", wf, "--dashboard-keep", "--no-record");
    try {
      const url = (await cli.line(URL_LINE))[1]!;
      await cli.line(/shows the finished run; Ctrl-C stops it/);
      const view = await fetch(url.replace("/?", "/view?"));
      assert.match(await view.text(), /data-count="done"><b>1</);
      const events = eventReader(await fetch(url.replace("/?", "/events?")));
      assert.match(await events.next(), / end$/, "the stream says the run has ended");
      await events.close();
    } finally {
      // Not child.kill(): Deno then reports the signal it sent instead of the exit code.
      process.kill(cli.child.pid!, "SIGINT");
    }
    assert.equal(await cli.exited, 0, cli.stderr());
  });

  it("refuses a bad port and a dry run before anything runs", async () => {
    const wf = tmp.write("t.yaml", "tasks:\n  a: { command: 'true' }\n");
    for (
      const [args, message] of [
        [
          ["--dashboard-port", "99999"],
          /'--dashboard-port' must be an integer from 0 to 65535, got the string "99999"/,
        ],
        [["--dashboard", "--dry-run"], /'--dashboard' shows a run, and '--dry-run' runs nothing/],
      ] as const
    ) {
      const r = await runCli(["run", wf, ...args, "--no-record"]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, message);
    }
  });
});
