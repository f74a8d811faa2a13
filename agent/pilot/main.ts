/**
 * `asyncflow pilot submit | status | endpoint | cancel`: the command line of the Slurm pilot.
 *
 * @module
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { cancelPilot } from "./cancel.ts";
import { waitForEndpoint } from "./endpoint.ts";
import { PilotCannotStartError } from "./never_start.ts";
import { pilotStatus } from "./status.ts";
import { type SubmitOptions, submitPilot } from "./submit.ts";
import { flagDurationMs } from "../../src/duration.ts";

const USAGE = `usage: asyncflow pilot <command> [options]

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

The client connects with RemoteBackend.fromEndpointFile("<DIR>/endpoint.json").`;

/**
 * Runs `asyncflow pilot …`.
 *
 * @param argv The arguments after `pilot`: a subcommand and its options.
 * @returns The exit code: 0 on success, 1 when Slurm or the pilot fails, 2 for bad arguments.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pilotCommand } from "./main.ts";
 * assert.equal(await pilotCommand(["launch"]), 2);
 * ```
 */
export async function pilotCommand(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    (command === undefined ? console.error : console.log)(USAGE);
    return command === undefined ? 2 : 0;
  }
  try {
    switch (command) {
      case "submit":
        return await submit(rest);
      case "status":
        return await status(rest);
      case "cancel":
        return await cancel(rest);
      case "endpoint":
        return await endpoint(rest);
      default:
        console.error(
          `asyncflow pilot: unknown command '${command}' (submit, status, endpoint or cancel; see --help)`,
        );
        return 2;
    }
  } catch (error) {
    const e = error as Error;
    const usage = e instanceof UsageError || e instanceof RangeError ||
      (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
    const hint = usage ? " (see 'asyncflow pilot --help')" : "";
    console.error(`asyncflow pilot ${command}: ${e.message}${hint}`);
    return usage ? 2 : 1;
  }
}

class UsageError extends Error {}

/** `--NAME TIME` for the agent, checked here so that a typo fails now, not in the job. */
function margin(name: string, time: string | undefined): string[] {
  if (time === undefined) return [];
  if (flagDurationMs(time, true) === undefined) {
    throw new UsageError(`--${name} must be seconds (45) or a duration ("2m"), got '${time}'`);
  }
  return [`--${name}`, time];
}

/** `--timeout TIME` in ms: seconds (600) or a duration ("10m"). */
function timeoutMs(time: string | undefined): number {
  const ms = flagDurationMs(time ?? "600");
  if (ms === undefined) {
    throw new UsageError(`--timeout must be seconds (600) or a duration ("10m"), got '${time}'`);
  }
  return ms;
}

async function submit(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
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
      help: { type: "boolean", short: "h" },
    },
    strict: true,
    allowPositionals: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  if (values.dir === undefined) throw new UsageError("--dir is required");
  const launch = values.launch ?? "srun";
  if (launch !== "srun" && launch !== "mpiexec" && launch !== "fork") {
    throw new UsageError(`--launch must be srun, mpiexec or fork, got '${launch}'`);
  }
  const nodes = values.nodes ?? "1";
  if (!/^\d+$/.test(nodes)) {
    throw new UsageError(`--nodes must be a positive integer, got '${nodes}'`);
  }
  const env: Record<string, string> = {};
  for (const pair of values.env ?? []) {
    const eq = pair.indexOf("=");
    if (eq < 1) throw new UsageError(`--env must be NAME=VALUE, got '${pair}'`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const timeout = timeoutMs(values.timeout);
  const options: SubmitOptions = {
    pilotDir: values.dir,
    nodes: Number(nodes),
    walltime: values.walltime ?? "60",
    launch,
    env,
    sbatch: values.sbatch ?? [],
    setup: values.setup ?? [],
    agentArgs: [
      ...(values.module ?? []).flatMap((m) => ["--module", m]),
      ...margin("drain-margin", values["drain-margin"]),
      ...margin("cut-margin", values["cut-margin"]),
    ],
    exclusive: !values["no-exclusive"],
    reach: values.loopback ? "loopback" : "cluster",
    ...(values.partition !== undefined ? { partition: values.partition } : {}),
    ...(values.account !== undefined ? { account: values.account } : {}),
    ...(values["job-name"] !== undefined ? { jobName: values["job-name"] } : {}),
  };
  const pilot = await submitPilot(options);
  console.log(`submitted pilot job ${pilot.jobId}; files in ${pilot.pilotDir}`);
  if (values.wait) {
    let url: string;
    try {
      ({ url } = await waitForEndpoint(pilot.pilotDir, { timeoutMs: timeout }));
    } catch (error) {
      // A job that can never start would sit in the queue for good: it goes, and the error says so.
      if (error instanceof PilotCannotStartError) {
        await cancelPilot(pilot.pilotDir);
        error.message += `; job ${pilot.jobId} was cancelled`;
      }
      throw error;
    }
    console.log(`agent at ${url}; connect with ${pilot.pilotDir}/endpoint.json`);
  }
  return 0;
}

async function status(argv: string[]): Promise<number> {
  const pilot = onePilot("status", argv);
  if (pilot === undefined) return 0;
  const s = await pilotStatus(pilot);
  const parts = [`job ${s.jobId} ${s.state}`];
  if (s.nodes) parts.push(`on ${s.nodes}`);
  if (s.reason) parts.push(`(${s.reason})`);
  if (s.url) parts.push(`agent at ${s.url}`);
  if (s.exitCode !== undefined) parts.push(`agent exit code ${s.exitCode}`);
  console.log(`${parts.join(" ")} [${s.source}]`);
  return 0;
}

async function endpoint(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { timeout: { type: "string" }, help: { type: "boolean", short: "h" } },
    allowPositionals: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    throw new UsageError(`endpoint takes one pilot directory, got ${positionals.length}`);
  }
  const timeout = timeoutMs(values.timeout);
  const dir = positionals[0] as string;
  const { url } = await waitForEndpoint(dir, { timeoutMs: timeout });
  console.log(url);
  return 0;
}

async function cancel(argv: string[]): Promise<number> {
  const pilot = onePilot("cancel", argv);
  if (pilot === undefined) return 0;
  const jobId = await cancelPilot(pilot);
  console.log(`cancelled job ${jobId}`);
  return 0;
}

/** The one pilot argument, or undefined after printing the usage for --help. */
function onePilot(command: string, argv: string[]): string | undefined {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { help: { type: "boolean", short: "h" } },
    allowPositionals: true,
  });
  if (values.help) {
    console.log(USAGE);
    return undefined;
  }
  if (positionals.length !== 1) {
    throw new UsageError(
      `${command} takes one pilot directory or job id, got ${positionals.length}`,
    );
  }
  return positionals[0] as string;
}

if (import.meta.main) process.exit(await pilotCommand(process.argv.slice(2)));
