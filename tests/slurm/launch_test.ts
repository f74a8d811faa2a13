import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { launchCommand } from "../../agent/placement/launch.ts";
import type { Placement } from "../../agent/placement/scheduler.ts";

/** A placement from [node, cores per rank, gpus per rank] per rank. */
function placement(...ranks: [string, number, number][]): Placement {
  const next = new Map<string, number>();
  return {
    ranks: ranks.map(([node, cores, gpus]) => {
      const base = next.get(node) ?? 0;
      next.set(node, base + cores);
      return {
        node,
        cores: Array.from({ length: cores }, (_, i) => base + i),
        gpus: Array.from({ length: gpus }, (_, i) => i),
      };
    }),
  };
}

describe("launchCommand() srun", () => {
  it("starts a shell string under srun with one rank", () => {
    assert.deepEqual(launchCommand("srun", placement(["localhost", 1, 0]), "echo $SLURM_STEP_ID"), {
      argv: [
        "srun",
        "--exact",
        "--kill-on-bad-exit=1",
        "--nodes=1",
        "--ntasks=1",
        "--cpus-per-task=1",
        "--gres=none", // no GPUs: not the job's GPU request either
        "--ntasks-per-node=1",
        "--nodelist=localhost",
        "/bin/sh",
        "-c",
        "echo $SLURM_STEP_ID",
      ],
      env: { OMP_NUM_THREADS: "1" },
    });
  });

  it("spreads even ranks with --ntasks-per-node and passes launcher args before the command", () => {
    const p = placement(["n1", 2, 1], ["n1", 2, 1], ["n2", 2, 1], ["n2", 2, 1]);
    const { argv, env } = launchCommand("srun", p, ["./hello", "a b"], {
      launcherArgs: ["--mpi=pmi2"],
    });
    assert.deepEqual(argv, [
      "srun",
      "--exact",
      "--kill-on-bad-exit=1",
      "--nodes=2",
      "--ntasks=4",
      "--cpus-per-task=2",
      "--gpus-per-task=1",
      "--ntasks-per-node=2",
      "--nodelist=n1,n2",
      "--mpi=pmi2",
      "./hello",
      "a b",
    ]);
    assert.deepEqual(env, { OMP_NUM_THREADS: "2" });
  });

  it("lays out uneven ranks exactly with --distribution=arbitrary", () => {
    const p = placement(["n1", 1, 0], ["n1", 1, 0], ["n1", 1, 0], ["n2", 1, 0]);
    const { argv } = launchCommand("srun", p, ["true"]);
    assert.deepEqual(argv.slice(3, 6), ["--nodes=2", "--ntasks=4", "--cpus-per-task=1"]);
    assert.deepEqual(argv.slice(6), [
      "--gres=none",
      "--distribution=arbitrary",
      "--nodelist=n1,n1,n1,n2",
      "true",
    ]);
  });
});

describe("launchCommand() mpiexec", () => {
  it("gives Hydra the ranks per host", () => {
    const p = placement(["n1", 1, 0], ["n1", 1, 0], ["n2", 1, 0]);
    assert.deepEqual(launchCommand("mpiexec", p, ["./hello"]), {
      argv: ["mpiexec", "-n", "3", "-hosts", "n1:2,n2:1", "./hello"],
      env: { OMP_NUM_THREADS: "1" },
    });
    assert.deepEqual(launchCommand("mpiexec", placement(["n1", 4, 0]), "hostname").argv, [
      "mpiexec",
      "-n",
      "1",
      "-hosts",
      "n1:1",
      "/bin/sh",
      "-c",
      "hostname",
    ]);
  });
});

describe("launchCommand() fork", () => {
  it("runs one rank directly, with its GPUs visible", () => {
    assert.deepEqual(launchCommand("fork", placement(["vm", 2, 0]), ["./sim", "--x"]), {
      argv: ["./sim", "--x"],
      env: { OMP_NUM_THREADS: "2" },
    });
    assert.deepEqual(launchCommand("fork", placement(["vm", 1, 2]), "nvidia-smi").env, {
      OMP_NUM_THREADS: "1",
      CUDA_VISIBLE_DEVICES: "0,1",
    });
  });

  it("rejects a placement on several nodes, naming them", () => {
    assert.throws(() => launchCommand("fork", placement(["a", 1, 0], ["b", 1, 0]), ["x"]), {
      name: "RangeError",
      message:
        "fork runs on this node only, but the placement spans 2 nodes (a, b): use srun or mpiexec",
    });
  });

  it("runs several ranks through a wrapper and reports the failing rank's status", async () => {
    const p = placement(["vm", 1, 0], ["vm", 1, 0], ["vm", 1, 0]);
    const { argv, env } = launchCommand(
      "fork",
      p,
      'echo "rank $ASYNCFLOW_RANK of $ASYNCFLOW_SIZE"; [ "$ASYNCFLOW_RANK" != 1 ] || exit 7',
    );
    const { code, lines } = await run(argv, env);
    assert.deepEqual(lines.sort(), ["rank 0 of 3", "rank 1 of 3", "rank 2 of 3"]);
    assert.equal(code, 7);
    const ok = launchCommand("fork", p, ["true"]);
    assert.equal((await run(ok.argv, ok.env)).code, 0);
  });

  it("forwards SIGTERM from the wrapper to every rank", async () => {
    const p = placement(["vm", 1, 0], ["vm", 1, 0]);
    const { argv, env } = launchCommand("fork", p, "echo $$; exec sleep 30");
    const child = spawn(argv[0] as string, argv.slice(1), {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "inherit"],
    });
    // Deno's node:child_process reports the signal sent rather than the wrapper's exit status.
    const exited = new Promise<string>((resolve) =>
      child.on("exit", (c, s) => resolve(`${c ?? s}`))
    );
    const pids: number[] = [];
    for await (const line of createInterface({ input: child.stdout })) {
      pids.push(Number(line));
      if (pids.length === 2) break;
    }
    child.kill("SIGTERM");
    assert.match(await exited, /^(143|SIGTERM)$/);
    for (const pid of pids) {
      assert.throws(() => process.kill(pid, 0), { code: "ESRCH" }, `rank pid ${pid} survived`);
    }
  });
});

describe("launchCommand() input checks", () => {
  it("rejects empty commands, empty placements and unlike ranks", () => {
    const one = placement(["n", 1, 0]);
    assert.throws(() => launchCommand("srun", one, "  "), /the command is an empty string/);
    assert.throws(() => launchCommand("srun", one, []), /the command argv is empty/);
    assert.throws(() => launchCommand("srun", { ranks: [] }, ["x"]), /the placement has no ranks/);
    assert.throws(
      () => launchCommand("srun", placement(["n", 1, 0], ["n", 2, 0]), ["x"]),
      /rank 1 has 2 cores and 0 GPUs, but rank 0 has 1 and 0/,
    );
    assert.throws(
      () => launchCommand("ssh" as "fork", one, ["x"]),
      /unknown launch method 'ssh' \(expected fork, srun or mpiexec\)/,
    );
  });
});

async function run(argv: string[], env: Record<string, string>) {
  const child = spawn(argv[0] as string, argv.slice(1), {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
  const lines: string[] = [];
  for await (const line of createInterface({ input: child.stdout })) lines.push(line);
  return { code: await exited, lines };
}
