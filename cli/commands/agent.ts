/**
 * `asyncflow agent`: serves a pilot agent. The agent itself is loaded only when used.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import process from "node:process";
import { onStopSignal, type StopSignal } from "../run/signals.ts";
import {
  choiceFlag,
  durationFlag,
  EXIT,
  flagCheck,
  integerFlag,
  pairFlags,
  parseCommandArgs,
  positiveInt,
  sizeFlag,
  UsageError,
} from "../usage.ts";
import type { Command } from "./command.ts";
import { loadCommand } from "./load_command.ts";

const LAUNCH_METHODS = ["fork", "srun", "mpiexec"] as const;
const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;

const AGENT_HELP = `Usage: asyncflow agent [options]

Serves a pilot agent: an HTTP API (bearer token, loopback by default) that runs the tasks of
remote engines (RemoteBackend) on this allocation's cores and GPUs, journaled in its directory.
Prints one JSON line { url, dir, tokenFile } and serves until Ctrl-C or SIGTERM. In a Slurm job,
SIGTERM (scancel, preemption, the time limit) first reports every unfinished task as cancelled
with a PilotEndedError, so that clients move them on at once.

Options:
  --listen <host:port>   where to serve (default 127.0.0.1:0); the host "node" is this node's
                         address on the cluster network (its host name's, else its interface's)
  --dir <dir>            token, endpoint file, journal, log and outputs (default: a new temp dir)
  --module <name=path>   a task module (repeatable); functions are { module: name, export }
  --launch <method>      fork, srun or mpiexec (default fork)
  --workers <n>          run function tasks on at most n Workers (default: one per core)
  --functions-in-thread  run function tasks in the agent's own thread instead (a CPU-bound
                         one then keeps the agent from answering its clients)
  --cores <n>            a one-node allocation of n cores (default: Slurm's, else this machine)
  --gpus <n>             and n GPUs
  --endpoint-file <path> also write { url, token } there (mode 0600)
  --tls-cert <file>      serve HTTPS with this certificate (PEM) ...
  --tls-key <file>       ... and this key
  --tls-self-signed      serve HTTPS on a certificate made at start-up; the endpoint file
                         carries it and its fingerprint, and clients pin it
  --new-token            do not reuse the token found in the directory
  --no-executors         one srun per command; default with --launch srun in a Slurm job: one
                         executor per node (a Slurm step) forks the single-rank commands
  --no-launcher          a spawn of the runtime per command; default on Node and Deno: one
                         long-lived launcher process per node starts them, several times faster
  --cors-origin <origin> let pages from this origin (e.g. http://127.0.0.1:8080) call the agent
                         from a browser (repeatable); every request still needs a token
  --drain-margin <time>  in a Slurm job with a time limit: stop starting tasks this long before
                         the end (seconds, or "2m"; default 60); waiting tasks are cancelled for
                         another pilot
  --cut-margin <time>    end what still runs this long before the end (default 10 s), so that
                         its report reaches the client before Slurm ends the agent
  --max-file-bytes <n>   the largest file a client may upload for staging (default 1G; a
                         size: 4096, 512M, 32G)
  --max-store-bytes <n>  the most uploaded files may take in all (default 32G): beyond it the
                         least recently used go; an upload with no room even then gets 507
  --log-level <level>    error, warn, info or debug (default info): what <dir>/agent.log gets;
                         warnings and errors also go to stderr
  --runtime-http         on Deno and Bun: serve with Deno.serve or Bun.serve, faster per
                         request but with no header timeout and no cap on connections
                         (the default, their node:http, has both); see docs/agent.md
  -h, --help             this help

Exit codes: 0 stopped cleanly, 1 cannot start (a module, the address), 2 wrong usage.`;

/** The `agent` subcommand: serves a pilot agent on this machine. */
export const agentCommand: Command = {
  name: "agent",
  summary: "serve a pilot agent (HTTP) that runs tasks for remote engines",
  help: AGENT_HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs("agent", argv, {
      listen: { type: "string" },
      dir: { type: "string" },
      module: { type: "string", multiple: true },
      launch: { type: "string" },
      workers: { type: "string" },
      cores: { type: "string" },
      gpus: { type: "string" },
      "endpoint-file": { type: "string" },
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      "tls-self-signed": { type: "boolean" },
      "new-token": { type: "boolean" },
      "no-executors": { type: "boolean" },
      "no-launcher": { type: "boolean" },
      "log-level": { type: "string" },
      "functions-in-thread": { type: "boolean" },
      "cors-origin": { type: "string", multiple: true },
      "drain-margin": { type: "string" },
      "cut-margin": { type: "string" },
      "runtime-http": { type: "boolean" },
      "max-file-bytes": { type: "string" },
      "max-store-bytes": { type: "string" },
    });
    if (values.help) {
      io.out(AGENT_HELP + "\n");
      return EXIT.ok;
    }
    if (positionals.length > 0) {
      throw new UsageError("agent", `takes no arguments, got '${positionals[0]}'`);
    }
    const options = await agentOptions(values);
    const mod = await loadCommand(io, "agent", () => import("../../agent/mod.ts"));
    if (mod === undefined) return EXIT.failed;
    const { guardRejections } = await import("../../agent/rejections.ts");
    guardRejections();
    // Before the endpoint line: whoever reads it may stop the agent at once.
    const stopped = Promise.withResolvers<StopSignal>();
    const off = onStopSignal((signal) => stopped.resolve(signal));
    let agent;
    try {
      agent = await mod.startAgent(options);
    } catch (error) {
      off();
      const message = error instanceof Error ? error.message : String(error);
      io.err(`asyncflow agent: ${message.replace(/^asyncflow agent: /, "")}\n`);
      return EXIT.failed;
    }
    io.out(
      JSON.stringify({ url: agent.url, dir: agent.dir, tokenFile: `${agent.dir}/token` }) + "\n",
    );
    const signal = await stopped.promise;
    off();
    // In a Slurm job, SIGTERM means the job ends (scancel, preemption, its time limit) and
    // SIGKILL follows: the clients hear at once that their tasks were cancelled, and why.
    if (signal === "SIGTERM" && process.env.SLURM_JOB_ID !== undefined) await agent.endJob(signal);
    else await agent.close();
    return EXIT.ok;
  },
};

type AgentOptions = import("../../agent/mod.ts").AgentOptions;

/** The agent's options from the command line, every value checked. */
async function agentOptions(values: Record<string, unknown>): Promise<AgentOptions> {
  const modules = pairFlags("agent", "module", values.module as string[] | undefined, "name=path");
  const launch = choiceFlag("agent", "launch", values.launch, LAUNCH_METHODS) ?? "fork";
  const logLevel = choiceFlag("agent", "log-level", values["log-level"], LOG_LEVELS);
  const cores = positiveInt("agent", "cores", values.cores);
  const workers = positiveInt("agent", "workers", values.workers);
  const gpus = integerFlag("agent", "gpus", values.gpus, 0);
  const maxFileBytes = sizeFlag("agent", "max-file-bytes", values["max-file-bytes"]);
  const maxStoreBytes = sizeFlag("agent", "max-store-bytes", values["max-store-bytes"]);
  // A margin before the allocation's end: zero allowed.
  const drain = durationFlag("agent", "drain-margin", values["drain-margin"], true);
  const cut = durationFlag("agent", "cut-margin", values["cut-margin"], true);
  const origins = (values["cors-origin"] as string[] | undefined) ?? [];
  const { corsOrigin } = await import("../../agent/cors.ts");
  for (const o of origins) flagCheck("agent", (where) => corsOrigin(o, "--cors-origin", where));
  if (values["functions-in-thread"] && workers !== undefined) {
    throw new UsageError("agent", "'--functions-in-thread' and '--workers' exclude each other");
  }
  const cert = values["tls-cert"] as string | undefined;
  const key = values["tls-key"] as string | undefined;
  if ((cert === undefined) !== (key === undefined)) {
    throw new UsageError("agent", "'--tls-cert' and '--tls-key' go together");
  }
  if (values["tls-self-signed"] && cert !== undefined) {
    throw new UsageError("agent", "'--tls-self-signed' and '--tls-cert' exclude each other");
  }
  const given = <K extends keyof AgentOptions>(key: K, value: AgentOptions[K] | undefined) =>
    value === undefined ? {} : { [key]: value };
  return {
    listen: (values.listen as string | undefined) ?? "127.0.0.1:0",
    modules,
    launch,
    ...given("dir", values.dir as string | undefined),
    ...given("cores", cores),
    ...given("gpus", gpus),
    ...given("workers", workers),
    ...given("maxFileBytes", maxFileBytes),
    ...given("maxStoreBytes", maxStoreBytes),
    ...given("endpointFile", values["endpoint-file"] as string | undefined),
    ...given("logLevel", logLevel),
    ...(values["tls-self-signed"] ? { tls: "self-signed" as const } : {}),
    ...(cert !== undefined
      ? { tls: { cert: readPem("tls-cert", cert), key: readPem("tls-key", key!) } }
      : {}),
    ...(values["new-token"] ? { newToken: true } : {}),
    ...(values["functions-in-thread"] ? { functionsInThread: true } : {}),
    ...(values["no-executors"] ? { executors: false } : {}),
    ...(values["no-launcher"] ? { launcher: false } : {}),
    ...(origins.length > 0 ? { corsOrigins: origins } : {}),
    ...(values["runtime-http"] ? { connections: { server: "runtime" as const } } : {}),
    ...(drain !== undefined || cut !== undefined
      ? {
        walltime: {
          ...(drain !== undefined ? { drainMarginMs: drain } : {}),
          ...(cut !== undefined ? { cutMarginMs: cut } : {}),
        },
      }
      : {}),
  };
}

function readPem(flag: string, path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new UsageError("agent", `cannot read '--${flag}' ${path}: ${(error as Error).message}`, {
      help: false,
    });
  }
}
