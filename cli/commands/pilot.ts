/**
 * `asyncflow pilot submit | status | endpoint | cancel`: starts, watches and cancels agents
 * through the batch system (Slurm). The batch system's client is loaded only when used.
 *
 * @module
 */
import { onStopSignal } from "../run/signals.ts";
import { didYouMean } from "../did_you_mean.ts";
import {
  choiceFlag,
  durationFlag,
  EXIT,
  integerFlag,
  pairFlags,
  parseCommandArgs,
  UsageError,
} from "../usage.ts";
import type { CliIo } from "../io.ts";
import type { Command } from "./command.ts";
import { loadCommand } from "./load_command.ts";

const PILOT_HELP = `Usage: asyncflow pilot <command> [options]

Starts a pilot agent through the batch system (Slurm), and watches and cancels it.

  submit   write a batch script that starts the agent, and submit it with sbatch
    --dir DIR            pilot directory on a shared filesystem (required; created, mode 0700)
    -N, --nodes N        nodes (default 1)
    -t, --walltime TIME  minutes, M:S, H:M:S, D-H, D-H:M or D-H:M:S (default 60)
    -p, --partition P    partition
    -A, --account A      account to charge
    --job-name NAME      job name (default asyncflow-pilot)
    --launch METHOD      how the agent starts commands: srun (default), mpiexec or fork
    --sbatch OPTION      an extra sbatch option, e.g. --sbatch=--gres=gpu:4 (repeatable)
    --env NAME=VALUE     exported before the agent starts, e.g. SLURM_MPI_TYPE=pmi2 (repeatable)
    --setup LINE         shell line run before the agent, e.g. 'module load mpich' (repeatable)
    --module NAME=PATH   a task module for the agent's function tasks (repeatable)
    --no-exclusive       share nodes with other jobs (default: whole nodes)
    --loopback           the agent listens on 127.0.0.1 of its node, plain HTTP (reach it with
                         ssh -L); default: its node's cluster address, HTTPS on a certificate it
                         makes, pinned by clients through endpoint.json
    --wait               wait for the agent and print its URL; a job Slurm says can never
                         start (e.g. PartitionNodeLimit) is cancelled and the command fails
    --timeout TIME       how long --wait waits: seconds or a duration ("10m"; default 600)
    --drain-margin TIME  the agent stops starting tasks this long before the walltime ends
                         (default 60); waiting tasks are cancelled, for another pilot
    --cut-margin TIME    the agent ends what still runs this long before the end (default 10)

  status <DIR|JOBID>     the job's state (squeue, sacct, then the pilot directory's files)
  endpoint <DIR>         wait for the agent (--timeout TIME, default 600 s) and print its URL
  cancel <DIR|JOBID>     scancel the job

The client connects with RemoteBackend.fromEndpointFile("<DIR>/endpoint.json").
Exit codes: 0 done, 1 Slurm or the pilot failed, 2 wrong usage, 130 interrupted while waiting.`;

const SUBCOMMANDS = ["submit", "status", "endpoint", "cancel"] as const;
type Subcommand = typeof SUBCOMMANDS[number];
type Pilot = typeof import("../../agent/pilot/mod.ts");

/** The `pilot` subcommand: submits, watches and cancels agents through the batch system. */
export const pilotCommand: Command = {
  name: "pilot",
  summary: "start an agent through the batch system (submit, status, endpoint, cancel)",
  help: PILOT_HELP,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === "--help" || sub === "-h" || sub === "help") {
      io.out(PILOT_HELP + "\n");
      return EXIT.ok;
    }
    if (sub === undefined) {
      throw new UsageError("pilot", `missing <command> (${SUBCOMMANDS.join(", ")})`);
    }
    if (!(SUBCOMMANDS as readonly string[]).includes(sub)) {
      throw new UsageError(
        "pilot",
        `unknown command '${sub}'${didYouMean(sub, SUBCOMMANDS)} (${SUBCOMMANDS.join(", ")})`,
      );
    }
    const run = RUN[sub as Subcommand];
    const command = `pilot ${sub}`;
    const { values, positionals } = parseCommandArgs(command, rest, OPTIONS[sub as Subcommand]);
    if (values.help) {
      io.out(PILOT_HELP + "\n");
      return EXIT.ok;
    }
    const planned = run(command, values, positionals);
    const pilot = await loadCommand(io, "pilot", () => import("../../agent/pilot/mod.ts"));
    if (pilot === undefined) return EXIT.failed;
    // Ctrl-C while waiting for the agent stops the wait, not the job.
    const stop = new AbortController();
    const off = onStopSignal(() => stop.abort(new Error("interrupted")));
    try {
      await planned(pilot, io, stop.signal);
      return EXIT.ok;
    } catch (error) {
      if (stop.signal.aborted) return EXIT.interrupted;
      // The library checks its options before it writes or submits anything.
      if (error instanceof RangeError) throw new UsageError(command, error.message);
      const message = error instanceof Error ? error.message : String(error);
      io.err(`asyncflow ${command}: ${message.replace(/^asyncflow pilot( \w+)?: /, "")}\n`);
      return EXIT.failed;
    } finally {
      off();
    }
  },
};

type Values = Record<string, unknown>;
/** What a subcommand does once its arguments are checked. */
type Planned = (pilot: Pilot, io: CliIo, signal: AbortSignal) => Promise<void>;

const OPTIONS = {
  submit: {
    dir: { type: "string" },
    nodes: { type: "string", short: "N" },
    walltime: { type: "string", short: "t" },
    partition: { type: "string", short: "p" },
    account: { type: "string", short: "A" },
    "job-name": { type: "string" },
    launch: { type: "string" },
    sbatch: { type: "string", multiple: true },
    env: { type: "string", multiple: true },
    setup: { type: "string", multiple: true },
    module: { type: "string", multiple: true },
    "no-exclusive": { type: "boolean" },
    loopback: { type: "boolean" },
    wait: { type: "boolean" },
    timeout: { type: "string" },
    "drain-margin": { type: "string" },
    "cut-margin": { type: "string" },
  },
  status: {},
  endpoint: { timeout: { type: "string" } },
  cancel: {},
} as const;

/** Checks a subcommand's arguments (a usage error is thrown here) and says what it will do. */
const RUN: Record<Subcommand, (command: string, v: Values, positionals: string[]) => Planned> = {
  submit: submit,
  status: (command, _v, positionals) => {
    const pilot = onePilot(command, positionals);
    return async ({ pilotStatus }, io) => {
      const s = await pilotStatus(pilot);
      const parts = [`job ${s.jobId} ${s.state}`];
      if (s.nodes) parts.push(`on ${s.nodes}`);
      if (s.reason) parts.push(`(${s.reason})`);
      if (s.url) parts.push(`agent at ${s.url}`);
      if (s.exitCode !== undefined) parts.push(`agent exit code ${s.exitCode}`);
      io.out(`${parts.join(" ")} [${s.source}]\n`);
    };
  },
  endpoint: (command, v, positionals) => {
    if (positionals.length !== 1) {
      throw new UsageError(command, `takes one pilot directory, got ${positionals.length}`);
    }
    const dir = positionals[0]!;
    const timeoutMs = durationFlag(command, "timeout", v.timeout) ?? 600_000;
    return async ({ waitForEndpoint }, io, signal) => {
      io.err(waiting(command, dir, timeoutMs));
      const { url } = await waitForEndpoint(dir, { timeoutMs, signal });
      io.out(`${url}\n`);
    };
  },
  cancel: (command, _v, positionals) => {
    const pilot = onePilot(command, positionals);
    return async ({ cancelPilot }, io) => {
      io.out(`cancelled job ${await cancelPilot(pilot)}\n`);
    };
  },
};

function submit(command: string, v: Values, positionals: string[]): Planned {
  if (positionals.length > 0) {
    throw new UsageError(command, `takes no arguments, got '${positionals[0]}'`);
  }
  const dir = v.dir as string | undefined;
  if (dir === undefined) throw new UsageError(command, "'--dir' is required");
  const launch = choiceFlag(command, "launch", v.launch, ["srun", "mpiexec", "fork"]) ?? "srun";
  const nodes = integerFlag(command, "nodes", v.nodes) ?? 1;
  const env = pairFlags(command, "env", v.env as string[] | undefined, "NAME=VALUE", true);
  const modules = (v.module as string[] | undefined) ?? [];
  pairFlags(command, "module", modules, "NAME=PATH");
  const timeoutMs = durationFlag(command, "timeout", v.timeout) ?? 600_000;
  // Checked here so that a typo fails now, not in the job.
  const margins = (["drain-margin", "cut-margin"] as const).flatMap((name) =>
    durationFlag(command, name, v[name], true) === undefined ? [] : [`--${name}`, String(v[name])]
  );
  const given = (key: string, flag: string) =>
    v[flag] === undefined ? {} : { [key]: v[flag] as string };
  return async (
    { submitPilot, waitForEndpoint, cancelPilot, PilotCannotStartError },
    io,
    signal,
  ) => {
    const pilot = await submitPilot({
      pilotDir: dir,
      nodes,
      walltime: (v.walltime as string | undefined) ?? "60",
      launch,
      env,
      sbatch: (v.sbatch as string[] | undefined) ?? [],
      setup: (v.setup as string[] | undefined) ?? [],
      agentArgs: [...modules.flatMap((m) => ["--module", m]), ...margins],
      exclusive: !v["no-exclusive"],
      reach: v.loopback ? "loopback" : "cluster",
      ...given("partition", "partition"),
      ...given("account", "account"),
      ...given("jobName", "job-name"),
    });
    io.out(`submitted pilot job ${pilot.jobId}; files in ${pilot.pilotDir}\n`);
    if (!v.wait) return;
    io.err(waiting(command, pilot.pilotDir, timeoutMs));
    try {
      const { url } = await waitForEndpoint(pilot.pilotDir, { timeoutMs, signal });
      io.out(`agent at ${url}; connect with ${pilot.pilotDir}/endpoint.json\n`);
    } catch (error) {
      // A job that can never start would sit in the queue for good: it goes, and the error says so.
      if (error instanceof PilotCannotStartError) {
        await cancelPilot(pilot.pilotDir);
        error.message += `; job ${pilot.jobId} was cancelled`;
      }
      throw error;
    }
  };
}

/** Said before a wait, which can be long: how long at most, and that Ctrl-C ends it. */
function waiting(command: string, dir: string, timeoutMs: number): string {
  return `asyncflow ${command}: waiting up to ${timeoutMs / 1000} s for the agent of ${dir} ` +
    "(Ctrl-C stops waiting; the job stays)\n";
}

/** The one pilot argument: a directory or a job id. */
function onePilot(command: string, positionals: string[]): string {
  if (positionals.length !== 1) {
    throw new UsageError(command, `takes one pilot directory or job id, got ${positionals.length}`);
  }
  return positionals[0]!;
}
