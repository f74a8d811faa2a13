import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runCli, tempDir } from "./_helpers.ts";

let tmp: ReturnType<typeof tempDir>;
before(() => (tmp = tempDir()));
after(() => tmp.cleanup());

describe("report and resume take a run, and default to the last one", () => {
  it("report without an argument writes the last run's report into its directory", async () => {
    const runs = join(tmp.dir, "report-runs");
    const file = tmp.write("r.yaml", "name: reported\ntasks:\n  one: { command: 'echo 1' }\n");
    const run = JSON.parse((await runCli(["run", file, "--runs-dir", runs, "-q", "--json"])).stdout)
      .run;
    const r = await runCli(["report", "--runs-dir", runs]);
    assert.equal(r.code, 0, r.stderr);
    const html = join(run.dir, "report.html");
    assert.match(r.stderr, new RegExp(`report written to ${html.replaceAll(".", "\\.")} `));
    const page = readFileSync(html, "utf8");
    assert.match(page, new RegExp(`asyncflow report: reported ${run.id}`));
    // The header tells the run from its run.json: the command as typed and how it ended.
    assert.match(page, /<code id="run-command">asyncflow run [^<]*r\.yaml/);
    assert.match(page, /id="run-status" class="status succeeded"/);
    // A trace file still works, and so does a run id.
    const out = join(tmp.dir, "by-id.html");
    assert.equal((await runCli(["report", run.id, "--runs-dir", runs, "-o", out])).code, 0);
    assert.ok(existsSync(out));
    const none = await runCli(["report", "--runs-dir", join(tmp.dir, "empty")]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no runs in '.*empty'/);
    const missing = await runCli(["report", join(tmp.dir, "missing.jsonl")]);
    assert.match(missing.stderr, /cannot read '.*missing\.jsonl': no such file/);
  });

  it("resume reruns the last run's command line, skipping what completed", async () => {
    const runs = join(tmp.dir, "resume-runs");
    const log = join(tmp.dir, "ran.txt");
    const ok = join(tmp.dir, "ok");
    const file = tmp.write(
      "resume.yaml",
      [
        "tasks:",
        `  a: { command: "echo a >> '${log}'; echo A" }`,
        `  b: { command: "echo b >> '${log}'; test -e '${ok}'", after: a }`,
      ].join("\n"),
    );
    const first = await runCli(["run", file, "--runs-dir", runs]);
    assert.equal(first.code, 1);
    writeFileSync(ok, "");
    const second = await runCli(["resume", "--runs-dir", runs]);
    assert.equal(second.code, 0, second.stderr);
    assert.match(
      second.stderr,
      /^resuming run \S+: asyncflow run \S+resume\.yaml --runs-dir \S+\n/m,
    );
    assert.match(second.stderr, /2 done, 0 failed, 0 cancelled, 1 resumed/);
    assert.equal(readFileSync(log, "utf8"), "a\nb\nb\n"); // a ran once
    // run --resume takes 'last' too: now nothing runs.
    const third = await runCli(["run", file, "--runs-dir", runs, "--resume", "last", "--json"]);
    assert.equal(JSON.parse(third.stdout).tasks.resumed, 2);
    assert.equal(readFileSync(log, "utf8"), "a\nb\nb\n");
    // And 'last' is what a bare --resume means, at the end of the line or before an option.
    for (const argv of [["--json", "--resume"], ["--resume", "--json"]]) {
      const bare = await runCli(["run", file, "--runs-dir", runs, ...argv]);
      assert.equal(bare.code, 0, bare.stderr);
      assert.equal(JSON.parse(bare.stdout).tasks.resumed, 2);
    }
    assert.equal(readFileSync(log, "utf8"), "a\nb\nb\n");
  });
});
