/**
 * `asyncflow pilot` on the CLI's convention: strict options with "did you mean", usage errors
 * with exit code 2 and a pointer to the subcommand's --help, 1 said once when Slurm refuses.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import process from "node:process";
import { EXIT, main, memoryIo } from "../../cli/main.ts";
import { runtime } from "../../src/host/runtime.ts";

async function pilot(...argv: string[]) {
  const io = memoryIo();
  const code = await main(["pilot", ...argv], io);
  return { code, out: io.stdout, err: io.stderr };
}

/** Runs agent/pilot/main.ts as a program; `onErr` sees stderr as it comes. */
function program(
  argv: string[],
  onErr: (text: string, child: ChildProcess) => void = () => {},
): Promise<{ code: number | null; signal: string | null; out: string; err: string }> {
  const main = new URL("../../agent/pilot/main.ts", import.meta.url).pathname;
  const child = spawn(
    process.execPath,
    [...(runtime === "deno" ? ["run", "-A"] : []), main, ...argv],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "", err = "";
  child.stdout.on("data", (chunk) => out += chunk);
  child.stderr.on("data", (chunk) => {
    err += chunk;
    onErr(err, child);
  });
  return new Promise((resolve) =>
    child.once("close", (code, signal) => resolve({ code, signal, out, err }))
  );
}

const hasSbatch = ["/usr/bin/sbatch", "/usr/local/bin/sbatch"].some(existsSync);

describe("asyncflow pilot", () => {
  it("prints its help with every subcommand, and exits 0", async () => {
    for (const argv of [["--help"], ["help"], ["submit", "--help"], ["endpoint", "-h"]]) {
      const r = await pilot(...argv);
      assert.equal(r.code, EXIT.ok, argv.join(" "));
      assert.match(r.out, /^Usage: asyncflow pilot <command> \[options\]/);
      for (const word of ["submit", "status", "endpoint", "cancel", "--walltime", "--wait"]) {
        assert.ok(r.out.includes(word), word);
      }
    }
  });

  it("refuses a misspelt subcommand or option, naming the one meant", async () => {
    const sub = await pilot("sumbit");
    assert.equal(sub.code, EXIT.usage);
    assert.equal(
      sub.err,
      "asyncflow pilot: unknown command 'sumbit' (did you mean 'submit'?) " +
        "(submit, status, endpoint, cancel)\nRun 'asyncflow pilot --help' for usage.\n",
    );
    const option = await pilot("submit", "--dir", "/tmp/p", "--nodse", "2");
    assert.equal(option.code, EXIT.usage);
    assert.equal(
      option.err,
      "asyncflow pilot submit: unknown option '--nodse' (did you mean '--nodes'?)\n" +
        "Run 'asyncflow pilot submit --help' for usage.\n",
    );
  });

  it("refuses wrong values in the one form of every check", async () => {
    const cases: [string[], string][] = [
      [
        ["submit", "--dir", "/tmp/p", "--nodes", "0"],
        `'--nodes' must be a positive integer, got the string "0"`,
      ],
      [
        ["submit", "--dir", "/tmp/p", "--env", "=1"],
        `'--env' must be NAME=VALUE, got the string "=1"`,
      ],
      [
        ["submit", "--dir", "/tmp/p", "--module", "t"],
        `'--module' must be NAME=PATH, got the string "t"`,
      ],
      [
        ["submit", "--dir", "/tmp/p", "--cut-margin", "soon"],
        `'--cut-margin' must be seconds (45) or a duration ("2m", "90s"), got the string "soon"`,
      ],
    ];
    for (const [argv, problem] of cases) {
      const r = await pilot(...argv);
      assert.equal(r.code, EXIT.usage, argv.join(" "));
      assert.equal(
        r.err,
        `asyncflow pilot submit: ${problem}\nRun 'asyncflow pilot submit --help' for usage.\n`,
      );
    }
  });

  it("as a program: exits 1 when Slurm refuses the job, saying why once", {
    skip: !hasSbatch && "no sbatch on this machine",
  }, async () => {
    const dir = mkdtempSync(`${tmpdir()}/asyncflow-pilot-cmd-`);
    const r = await program(["submit", "--dir", dir, "--partition", "no-such-partition"]);
    assert.equal(r.code, EXIT.failed, r.err);
    assert.match(
      r.err,
      /^asyncflow pilot submit: 'sbatch --parsable .*' failed with exit code 1: /,
    );
    assert.match(r.err, /partition/i);
    assert.equal(r.err.match(/asyncflow pilot/g)?.length, 1, r.err);
    assert.ok(!r.err.includes("Run 'asyncflow"), "no --help pointer for what usage cannot fix");
    assert.equal(r.out, "");
  });

  it("as a program: Ctrl-C stops a wait for the agent with exit code 130", async () => {
    const dir = mkdtempSync(`${tmpdir()}/asyncflow-pilot-cmd-`);
    let sent = false;
    const r = await program(["endpoint", dir, "--timeout", "60"], (err, child) => {
      if (!sent && err.includes("waiting up to 60 s")) {
        sent = true;
        child.kill("SIGINT");
      }
    });
    assert.ok(sent, r.err);
    assert.match(r.err, /^asyncflow pilot endpoint: waiting up to 60 s for the agent of /);
    assert.equal(r.out, "");
    // Deno's node:child_process reports a child that exits after SIGINT as killed by it.
    if (runtime !== "deno") assert.equal(r.code, EXIT.interrupted, r.err);
  });

  it("as a program: wrong usage exits 2", async () => {
    const r = await program(["status"]);
    assert.equal(r.code, EXIT.usage);
    assert.match(r.err, /^asyncflow pilot status: takes one pilot directory or job id, got 0\n/);
  });
});
