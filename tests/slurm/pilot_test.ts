import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  cancelPilot,
  PilotCannotStartError,
  pilotStatus,
  submitPilot,
  waitForEndpoint,
} from "../../agent/pilot/mod.ts";
import { EXIT, main, memoryIo } from "../../cli/main.ts";

// Stand-ins for Slurm's tools: they log their arguments and print what the test put in
// `<tool>.out` (with the exit code in `<tool>.code`), so the pilot's logic runs anywhere.
let bin = "";
let work = "";
const fake = (tool: string, stdout: string, code = 0, stderr = "") => {
  writeFileSync(join(bin, `${tool}.out`), stdout);
  writeFileSync(join(bin, `${tool}.err`), stderr);
  writeFileSync(join(bin, `${tool}.code`), String(code));
};
const calls = (tool: string) => {
  try {
    return readFileSync(join(bin, `${tool}.log`), "utf8").trim().split("\n");
  } catch {
    return [];
  }
};

before(() => {
  bin = mkdtempSync(join(tmpdir(), "asyncflow-fake-slurm-"));
  work = mkdtempSync(join(tmpdir(), "asyncflow-pilot-test-"));
  for (const tool of ["sbatch", "squeue", "sacct", "scancel"]) {
    const script = `#!/bin/sh
d=$(dirname "$0")
echo "$*" >> "$d/${tool}.log"
cat "$d/${tool}.out" 2>/dev/null
cat "$d/${tool}.err" >&2 2>/dev/null
exit $(cat "$d/${tool}.code" 2>/dev/null || echo 0)
`;
    writeFileSync(join(bin, tool), script);
    chmodSync(join(bin, tool), 0o755);
  }
  fake("sacct", "", 1, "Slurm accounting storage is disabled\n");
});

after(() => {
  rmSync(bin, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

describe("submitPilot()", () => {
  it("writes the script, submits it with sbatch --parsable and records the job", async () => {
    fake("sbatch", "4242;local\n");
    const pilotDir = join(work, "p1");
    const info = await submitPilot({
      nodes: 1,
      walltime: "10",
      pilotDir,
      slurmBin: bin,
      env: { SLURM_MPI_TYPE: "pmi2" },
      agentArgs: ["--module", "tasks=/home/me/tasks.ts"],
    });
    assert.equal(info.jobId, "4242");
    assert.equal(info.script, join(pilotDir, "pilot.sh"));
    assert.deepEqual(calls("sbatch"), [`--parsable ${join(pilotDir, "pilot.sh")}`]);
    assert.deepEqual(JSON.parse(readFileSync(join(pilotDir, "pilot.json"), "utf8")).jobId, "4242");
    assert.equal(statSync(pilotDir).mode & 0o777, 0o700, "the token will live here");
    const script = readFileSync(info.script, "utf8");
    assert.match(
      script,
      new RegExp(
        `agent/main\\.ts --dir ${pilotDir} --endpoint-file ${pilotDir}/endpoint\\.json ` +
          "--launch srun --listen node:0 --tls-self-signed --module tasks=/home/me/tasks\\.ts " +
          "\\|\\| status=\\$\\?",
      ),
    );
    assert.match(script, /^export SLURM_MPI_TYPE=pmi2$/m);
  });

  it("keeps the agent on its node's loopback, plain HTTP, with reach: loopback", async () => {
    fake("sbatch", "4243\n");
    const info = await submitPilot({
      nodes: 1,
      walltime: "10",
      pilotDir: join(work, "p-loopback"),
      slurmBin: bin,
      reach: "loopback",
    });
    const script = readFileSync(info.script, "utf8");
    assert.match(script, / --launch srun --listen 127\.0\.0\.1:0 \|\| status=/);
    assert.doesNotMatch(script, /tls/);
  });

  it("replaces a dead pilot in its directory, but not a live one", async () => {
    const pilotDir = join(work, "p-again");
    fake("sbatch", "5000\n");
    await submitPilot({ nodes: 1, walltime: "10", pilotDir, slurmBin: bin });
    // Its agent wrote its files; then its node died and Slurm still runs the job.
    writeFileSync(join(pilotDir, "endpoint.json"), '{"url":"https://10.0.0.1:1","token":"t"}');
    writeFileSync(join(pilotDir, "exit_code"), "1\n");
    fake("squeue", "RUNNING|nid001|None\n");
    fake("sbatch", "5001\n");
    await assert.rejects(
      submitPilot({ nodes: 1, walltime: "10", pilotDir, slurmBin: bin }),
      /the pilot in .*p-again \(job 5000\) is still RUNNING: cancel it first/,
    );
    assert.ok(existsSync(join(pilotDir, "endpoint.json")), "the live pilot's file stays");
    // Cancelled, waiting for its lost node: the new pilot takes the directory.
    fake("squeue", "COMPLETING|nid001|None\n");
    const info = await submitPilot({ nodes: 1, walltime: "10", pilotDir, slurmBin: bin });
    assert.equal(info.jobId, "5001");
    assert.ok(!existsSync(join(pilotDir, "endpoint.json")), "not the dead agent's endpoint");
    assert.ok(!existsSync(join(pilotDir, "exit_code")));
  });

  it("reports what sbatch said when it fails, and checks options before submitting", async () => {
    fake("sbatch", "", 1, "sbatch: error: invalid partition specified: nope\n");
    await assert.rejects(
      submitPilot({ nodes: 1, walltime: "10", pilotDir: join(work, "p2"), slurmBin: bin }),
      /'sbatch --parsable .*' failed with exit code 1: sbatch: error: invalid partition specified: nope/,
    );
    const before = calls("sbatch").length;
    await assert.rejects(
      submitPilot({ nodes: 1, walltime: "1 day", pilotDir: join(work, "p3"), slurmBin: bin }),
      RangeError,
    );
    assert.equal(calls("sbatch").length, before, "sbatch was not called");
  });
});

describe("pilotStatus()", () => {
  const dir = () => join(work, "p1");

  it("reads squeue: running with nodes, pending with the reason", async () => {
    fake("squeue", "RUNNING|nid[001-002]|nid[001-002]\n");
    assert.deepEqual(await pilotStatus(dir(), { slurmBin: bin }), {
      jobId: "4242",
      state: "RUNNING",
      active: true,
      source: "squeue",
      nodes: "nid[001-002]",
    });
    assert.match(calls("squeue").at(-1) ?? "", /-h -t all -j 4242 -o %T\|%N\|%R/);
    fake("squeue", "PENDING||(Priority)\n");
    const pending = await pilotStatus("4242", { slurmBin: bin });
    assert.equal(pending.reason, "(Priority)");
    assert.equal(pending.active, true);
  });

  it("adds the agent's URL once endpoint.json is there", async () => {
    fake("squeue", "RUNNING|localhost|localhost\n");
    writeFileSync(join(dir(), "endpoint.json"), '{"url":"http://127.0.0.1:5","token":"t"}');
    assert.equal((await pilotStatus(dir(), { slurmBin: bin })).url, "http://127.0.0.1:5");
    rmSync(join(dir(), "endpoint.json"));
  });

  it("falls back to the pilot directory when Slurm has forgotten the job", async () => {
    fake("squeue", "", 1, "slurm_load_jobs error: Invalid job id specified\n");
    const ended = await pilotStatus(dir(), { slurmBin: bin });
    assert.deepEqual(ended, { jobId: "4242", state: "ENDED", active: false, source: "files" });
    writeFileSync(join(dir(), "exit_code"), "0\n");
    const done = await pilotStatus(dir(), { slurmBin: bin });
    assert.equal(done.state, "COMPLETED");
    assert.equal(done.exitCode, 0);
    writeFileSync(join(dir(), "exit_code"), "3\n");
    assert.equal((await pilotStatus(dir(), { slurmBin: bin })).state, "FAILED");
    rmSync(join(dir(), "exit_code"));
    fake("sacct", "TIMEOUT\n");
    assert.equal((await pilotStatus(dir(), { slurmBin: bin })).state, "TIMEOUT");
    fake("sacct", "", 1, "Slurm accounting storage is disabled\n");
  });

  it("fails clearly on a bad pilot or a broken squeue", async () => {
    await assert.rejects(
      pilotStatus(join(work, "nothing-here")),
      /neither a job id nor a pilot directory/,
    );
    fake("squeue", "", 1, "slurm_load_jobs error: Unable to contact slurm controller\n");
    await assert.rejects(pilotStatus("7", { slurmBin: bin }), /Unable to contact slurm controller/);
  });
});

describe("cancelPilot()", () => {
  it("runs scancel on the job and accepts a job that already ended", async () => {
    fake("scancel", "");
    assert.equal(await cancelPilot(join(work, "p1"), { slurmBin: bin }), "4242");
    assert.deepEqual(calls("scancel").at(-1), "4242");
    fake(
      "scancel",
      "",
      1,
      "scancel: error: Kill job error on job id 9: Job/step already completing or completed\n",
    );
    assert.equal(await cancelPilot("9", { slurmBin: bin }), "9");
    fake("scancel", "", 1, "scancel: error: Access/permission denied\n");
    await assert.rejects(cancelPilot("9", { slurmBin: bin }), /permission denied/);
  });
});

describe("waitForEndpoint()", () => {
  it("returns the URL and token once the agent has written them", async () => {
    const dir = mkdtempSync(join(work, "w-"));
    writeFileSync(join(dir, "endpoint.json"), '{"url":"http://127.0.0.1:1'); // half-written
    const waiting = waitForEndpoint(dir, { timeoutMs: 30_000, pollMs: 5 });
    writeFileSync(join(dir, "endpoint.json"), '{"url":"http://127.0.0.1:1","token":"abc","pid":1}');
    assert.deepEqual(await waiting, { url: "http://127.0.0.1:1", token: "abc" });
  });

  it("gives up at the deadline, and early when the agent exited", async () => {
    const dir = mkdtempSync(join(work, "w-"));
    await assert.rejects(
      waitForEndpoint(dir, { timeoutMs: 20, pollMs: 5 }),
      /no endpoint\.json in .* after 20 ms/,
    );
    writeFileSync(join(dir, "pilot.out"), "starting\nError: Cannot find module 'x'\n");
    writeFileSync(join(dir, "exit_code"), "1\n");
    await assert.rejects(
      waitForEndpoint(dir, { timeoutMs: 30_000 }),
      /ended before its agent wrote endpoint\.json: the agent exited;[^]*Cannot find module 'x'/,
    );
  });

  it("gives up early when Slurm says the job is gone", async () => {
    const dir = join(work, "p1");
    fake("squeue", "CANCELLED|localhost|localhost\n");
    await assert.rejects(
      waitForEndpoint(dir, { timeoutMs: 30_000, pollMs: 5, jobCheckMs: 0, slurmBin: bin }),
      /job 4242 is CANCELLED/,
    );
  });

  it("gives up at once when Slurm says the job can never start", async () => {
    const dir = join(work, "p1");
    fake("squeue", "PENDING||(PartitionNodeLimit)\n");
    // The deadline is far; the first look at the job must end the wait.
    const error = await waitForEndpoint(dir, { timeoutMs: 600_000, pollMs: 5, slurmBin: bin })
      .then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof PilotCannotStartError, String(error));
    assert.equal(error.jobId, "4242");
    assert.equal(error.reason, "(PartitionNodeLimit)");
    assert.match(
      error.message,
      /job 4242 is pending with reason \(PartitionNodeLimit\) \(it asks for more nodes than its partition allows\); ask for fewer nodes/,
    );
  });

  it("keeps waiting while the job waits for a reason that clears", async () => {
    const dir = join(work, "p1");
    fake("squeue", "PENDING||(Resources)\n");
    await assert.rejects(
      waitForEndpoint(dir, { timeoutMs: 50, pollMs: 5, jobCheckMs: 0, slurmBin: bin }),
      /no endpoint\.json in .* after 50 ms: the job may still be queued/,
    );
  });

  it("stops on abort", async () => {
    const controller = new AbortController();
    const waiting = waitForEndpoint(mkdtempSync(join(work, "w-")), {
      signal: controller.signal,
      pollMs: 5,
    });
    controller.abort(new Error("user gave up"));
    await assert.rejects(waiting, /user gave up/);
  });
});

describe("asyncflow pilot", () => {
  it("answers --help and rejects bad usage with exit code 2", async () => {
    const pilot = async (...argv: string[]) => {
      const io = memoryIo();
      const code = await main(["pilot", ...argv], io);
      return { code, out: io.stdout, err: io.stderr };
    };
    assert.match((await pilot("--help")).out, /^Usage: asyncflow pilot <command>/);
    assert.equal((await pilot("status", "--help")).code, EXIT.ok);
    const usage: [string[], RegExp][] = [
      [[], /missing <command> \(submit, status, endpoint, cancel\)/],
      [["launch"], /unknown command 'launch'/],
      [["submit", "--nodes", "2"], /^asyncflow pilot submit: '--dir' is required\n/],
      [
        ["submit", "--dir", join(work, "c"), "--walltime", "soon"],
        /'walltime' is not a Slurm time, got "soon"/,
      ],
      [["submit", "--dir", join(work, "c"), "--launch", "ssh"], /'--launch' must be one of/],
      [["submit", "--bogus"], /unknown option '--bogus'/],
      [["status"], /takes one pilot directory or job id, got 0/],
      [["cancel", "a", "b"], /takes one pilot directory or job id, got 2/],
      [["endpoint"], /takes one pilot directory, got 0/],
      [["endpoint", join(work, "x"), "--timeout", "soon"], /'--timeout' must be seconds/],
    ];
    for (const [argv, message] of usage) {
      const r = await pilot(...argv);
      assert.equal(r.code, EXIT.usage, argv.join(" "));
      assert.match(r.err, message);
    }
    // Nothing was written for the refused walltime.
    assert.ok(!existsSync(join(work, "c")));
  });
});
