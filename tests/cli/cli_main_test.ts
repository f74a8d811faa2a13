import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runCli } from "./_helpers.ts";

describe("asyncflow entry point", () => {
  it("prints help and exits 0 with --help, exits 2 with no command", async () => {
    const help = await runCli(["--help"]);
    assert.equal(help.code, 0);
    for (const name of ["run", "graph", "report", "agent", "pilot", "version"]) {
      assert.match(help.stdout, new RegExp(`^  ${name} `, "m"));
    }
    const none = await runCli([]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /Usage: asyncflow <command>/);
  });

  it("has --help on every command", async () => {
    for (const name of ["run", "graph", "report"]) {
      const r = await runCli([name, "--help"]);
      assert.equal(r.code, 0, name);
      assert.match(r.stdout, new RegExp(`^Usage: asyncflow ${name} `), name);
      const viaHelp = await runCli(["help", name]);
      assert.equal(viaHelp.stdout, r.stdout);
    }
  });

  it("prints the version", async () => {
    const r = await runCli(["version"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^asyncflow \d+\.\d+\.\d+\n$/);
  });

  it("exits 2 with a clear message on an unknown command or flag", async () => {
    const cmd = await runCli(["rn", "x.yaml"]);
    assert.equal(cmd.code, 2);
    assert.match(
      cmd.stderr,
      /^asyncflow: unknown command 'rn' \(did you mean 'run'\?\) \(commands: run, resume, log, show, graph, report, dashboard, agent, pilot, version, help\)/,
    );
    const flag = await runCli(["run", "--tarce", "t.jsonl", "w.yaml"]);
    assert.equal(flag.code, 2);
    assert.match(
      flag.stderr,
      /^asyncflow run: unknown option '--tarce' \(did you mean '--trace'\?\)\nRun 'asyncflow run --help' for usage\.\n$/,
    );
  });

  it("suggests nothing when no option is close", async () => {
    const r = await runCli(["run", "--banana", "w.yaml"]);
    assert.equal(
      r.stderr,
      "asyncflow run: unknown option '--banana'\nRun 'asyncflow run --help' for usage.\n",
    );
    const backend = await runCli(["run", "--backend", "worker", "examples/campaigns.yaml"]);
    assert.match(backend.stderr, /unknown backend 'worker' \(did you mean 'workers'\?\)/);
  });

  it("exits 2 on wrong arguments before running anything", async () => {
    const cases: [string[], RegExp][] = [
      [["run"], /missing <workflow>/],
      [["run", "missing.yaml"], /workflow file 'missing\.yaml' does not exist/],
      [["run", "notes.txt"], /expected a \.yaml, \.yml, \.ts or \.js file/],
      [
        ["run", "w.yaml", "--processes", "0"],
        /'--processes' must be a positive integer, got the string "0"/,
      ],
      [
        ["run", "w.yaml", "--resume", "no-such-trace.jsonl"],
        /cannot read 'no-such-trace\.jsonl': no such file/,
      ],
      [
        ["graph", "w.yaml", "--format", "png"],
        /'--format' must be one of "mermaid", "dot", got the string "png"/,
      ],
      [["report", "--runs-dir", ".out/no-runs"], /no runs in '\.out\/no-runs'/],
      [["show", "a", "b", "c"], /expected \[run\] \[task\], got 3 arguments/],
      [["log", "extra"], /takes no arguments, got 'extra'/],
    ];
    for (const [argv, message] of cases) {
      const r = await runCli(argv);
      assert.equal(r.code, 2, argv.join(" "));
      assert.match(r.stderr, message, argv.join(" "));
    }
  });

  it("rejects an unknown backend", async () => {
    const r = await runCli(["run", "examples/campaigns.yaml", "--backend", "cloud"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown backend 'cloud' \(choose one of: local, workers, remote\)/);
  });
});
