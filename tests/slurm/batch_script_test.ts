import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  type BatchScriptOptions,
  shellQuote,
  walltimeSeconds,
  writeBatchScript,
} from "../../agent/pilot/batch_script.ts";

const base: BatchScriptOptions = {
  nodes: 2,
  walltime: "1:30:00",
  pilotDir: "/scratch/me/pilot-1",
  agentCommand: ["/usr/bin/node", "/opt/asyncflow/agent/main.ts", "--dir", "/scratch/me/pilot-1"],
};

describe("writeBatchScript()", () => {
  it("asks for nodes, walltime and whole nodes, then runs the agent and records its status", () => {
    const script = writeBatchScript({
      ...base,
      partition: "debug",
      account: "proj-42",
      sbatch: ["--gres=gpu:4", "--qos=normal"],
      env: { SLURM_MPI_TYPE: "pmi2", GREETING: "it's $HOME" },
      setup: ["module load mpich"],
    });
    const lines = script.split("\n");
    assert.equal(lines[0], "#!/bin/bash");
    const directives = lines.filter((l) => l.startsWith("#SBATCH"));
    assert.deepEqual(directives, [
      "#SBATCH --job-name=asyncflow-pilot",
      "#SBATCH --nodes=2",
      "#SBATCH --time=1:30:00",
      "#SBATCH --output=/scratch/me/pilot-1/pilot.out",
      "#SBATCH --exclusive",
      "#SBATCH --no-kill",
      "#SBATCH --partition=debug",
      "#SBATCH --account=proj-42",
      "#SBATCH --gres=gpu:4",
      "#SBATCH --qos=normal",
    ]);
    // sbatch reads directives only before the first command: all of them come first.
    assert.ok(lines.indexOf("set -u") > lines.indexOf("#SBATCH --qos=normal"));
    assert.ok(lines.includes("export SLURM_MPI_TYPE=pmi2"));
    assert.ok(lines.includes("export GREETING='it'\\''s $HOME'"));
    assert.ok(lines.includes("module load mpich"));
    assert.ok(
      lines.includes(
        "/usr/bin/node /opt/asyncflow/agent/main.ts --dir /scratch/me/pilot-1 || status=$?",
      ),
    );
    assert.ok(lines.includes('echo "$status" > /scratch/me/pilot-1/exit_code'));
    assert.ok(!writeBatchScript({ ...base, exclusive: false }).includes("--exclusive"));
    assert.ok(!writeBatchScript({ ...base, noKill: false }).includes("--no-kill"));
  });

  it("runs under bash: exports, quoting and the recorded exit status", () => {
    const dir = execFileSync("mktemp", ["-d"], { encoding: "utf8" }).trim();
    try {
      const script = writeBatchScript({
        ...base,
        pilotDir: dir,
        env: { WORD: "a 'quoted' $word; rm -rf /" },
        agentCommand: ["/bin/sh", "-c", 'printf "%s|" "$WORD" "$0"; exit 5', "x y"],
      });
      const out = execFileSync("bash", ["-c", script + "\n", "pilot"], { encoding: "utf8" })
        .toString();
      assert.fail(`the script must exit 5, printed ${out}`);
    } catch (error) {
      const e = error as { status?: number; stdout?: string };
      assert.equal(e.status, 5);
      assert.equal(e.stdout, "a 'quoted' $word; rm -rf /|x y|");
      assert.equal(execFileSync("cat", [`${dir}/exit_code`], { encoding: "utf8" }), "5\n");
    } finally {
      execFileSync("rm", ["-rf", dir]);
    }
  });

  it("rejects bad inputs, naming the option and the value", () => {
    const bad: [Partial<BatchScriptOptions>, RegExp][] = [
      [{ nodes: 0 }, /'nodes' must be a positive integer, got 0/],
      [{ nodes: 1.5 }, /'nodes' must be a positive integer, got 1.5/],
      [{ walltime: "1h" }, /'walltime' is not a Slurm time, got "1h"/],
      [{ walltime: "1:60:00" }, /'walltime' has minutes 60, which must be below 60/],
      [{ walltime: "0" }, /'walltime' must be longer than zero/],
      [{ walltime: "1:00\n#SBATCH --uid=0" }, /'walltime' is not a Slurm time/],
      [{ pilotDir: "relative/dir" }, /'pilotDir' must be an absolute path/],
      [{ pilotDir: "/tmp/a b" }, /'pilotDir' must be an absolute path/],
      [{ pilotDir: "/tmp/x\n#SBATCH --x" }, /'pilotDir' must be an absolute path/],
      [{ pilotDir: "/tmp/%j" }, /'pilotDir' must be an absolute path/],
      [{ pilotDir: "/tmp/../etc" }, /'pilotDir' must be an absolute path/],
      [{ partition: "debug --qos=high" }, /'partition' must be letters, digits/],
      [{ account: "a;b" }, /'account' must be letters/],
      [{ jobName: "$(reboot)" }, /'jobName' must be letters/],
      [
        { sbatch: ["--gres=gpu:4\n#SBATCH --uid=0"] },
        /'sbatch' entries must look like --name=value/,
      ],
      [{ sbatch: ["--comment=a b"] }, /'sbatch' entries/],
      [{ sbatch: ["rm -rf /"] }, /'sbatch' entries/],
      [{ sbatch: ["--x=$(id)"] }, /'sbatch' entries/],
      [{ env: { "A-B": "1" } }, /'env' names must be shell variable names, got "A-B"/],
      [{ env: { A: "1\nreboot" } }, /each 'env' value must be one line/],
      [{ setup: ["module load x\nreboot"] }, /each 'setup' line must be one line/],
      [{ agentCommand: [] }, /'agentCommand' must not be empty/],
      [{ agentCommand: ["node", "a\rb"] }, /each 'agentCommand' argument must be one line/],
    ];
    for (const [change, message] of bad) {
      assert.throws(() => writeBatchScript({ ...base, ...change }), (e: Error) => {
        assert.ok(e instanceof RangeError, JSON.stringify(change));
        assert.match(e.message, message, JSON.stringify(change));
        return true;
      });
    }
  });
});

describe("walltimeSeconds()", () => {
  it("reads every Slurm form", () => {
    const cases: [string, number][] = [
      ["30", 1800],
      ["5:30", 330],
      ["1:00:00", 3600],
      ["48:00:00", 172800],
      ["1-0", 86400],
      ["2-12", 216000],
      ["1-02:30", 95400],
      ["1-02:00:05", 93605],
    ];
    for (const [text, seconds] of cases) assert.equal(walltimeSeconds(text), seconds, text);
  });

  it("rejects what Slurm would not take", () => {
    for (const text of ["", "-1", "1:2:3:4", "1-24", "1-0:60", "0:0", "1 h", "INFINITE", "1.5"]) {
      assert.throws(() => walltimeSeconds(text), RangeError, text);
    }
  });
});

describe("shellQuote()", () => {
  it("leaves plain words alone and quotes the rest", () => {
    assert.equal(shellQuote("/usr/bin/node"), "/usr/bin/node");
    assert.equal(shellQuote("a b"), "'a b'");
    assert.equal(shellQuote("it's"), "'it'\\''s'");
    assert.equal(shellQuote(""), "''");
  });
});
