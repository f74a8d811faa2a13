import { readFileSync } from "node:fs";
import process from "node:process";
import { parseArgs } from "node:util";
import { startAgent } from "./start_agent.ts";
import { LOG_LEVELS, type LogLevel } from "./agent_log.ts";
import { guardRejections } from "./rejections.ts";
import type { LaunchMethod } from "./placement/launch.ts";

const USAGE = `usage: asyncflow agent [options]
  --listen HOST:PORT     address to serve (default 127.0.0.1:0); HOST "node" is this node's
                         address on the cluster network (its host name's, else its interface's)
  --dir DIR              token, endpoint file, journal and outputs (default: a new temp dir)
  --module NAME=PATH     a task module (repeatable); functions are { module: NAME, export }
  --launch METHOD        fork | srun | mpiexec (default fork)
  --workers N            run function tasks on N Workers (default: in the agent's own thread)
  --cores N --gpus N     a one-node allocation (default: Slurm's environment, else this machine)
  --endpoint-file PATH   also write { url, token } here (mode 0600)
  --tls-cert FILE --tls-key FILE   serve HTTPS
  --tls-self-signed      serve HTTPS on a certificate made at start-up; the endpoint file
                         carries it and its fingerprint, and clients pin it
  --new-token            do not reuse the token found in DIR
  --log-level LEVEL      error | warn | info | debug (default info): what DIR/agent.log gets;
                         warnings and errors also go to stderr
  --no-executors         one srun per command; default with --launch srun in a Slurm job: one
                         executor per node (a Slurm step) forks the single-rank commands`;

/**
 * `asyncflow agent …`: starts the agent, prints its endpoint as one JSON line
 * on stdout and serves until SIGINT or SIGTERM.
 *
 * @param argv The arguments after `agent`.
 * @returns The exit code (0 after a clean stop, 2 for bad arguments, 1 when it cannot start).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { agentCommand } from "./main.ts";
 * assert.equal(await agentCommand(["--launch", "teleport"]), 2);
 * ```
 */
export async function agentCommand(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
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
        "log-level": { type: "string" },
        "no-executors": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    console.error(`asyncflow agent: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const problems: string[] = [];
  const modules: Record<string, string> = {};
  for (const m of values.module ?? []) {
    const eq = m.indexOf("=");
    if (eq < 1 || eq === m.length - 1) problems.push(`--module must be NAME=PATH, got '${m}'`);
    else modules[m.slice(0, eq)] = m.slice(eq + 1);
  }
  const launch = values.launch ?? "fork";
  if (!["fork", "srun", "mpiexec"].includes(launch)) {
    problems.push(`--launch must be fork, srun or mpiexec, got '${launch}'`);
  }
  const count = (flag: string, v: string | undefined, min: number) => {
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v) || Number(v) < min) {
      problems.push(`--${flag} must be an integer >= ${min}, got '${v}'`);
    }
    return Number(v);
  };
  const cores = count("cores", values.cores, 1);
  const gpus = count("gpus", values.gpus, 0);
  const workers = count("workers", values.workers, 1);
  if ((values["tls-cert"] === undefined) !== (values["tls-key"] === undefined)) {
    problems.push("--tls-cert and --tls-key go together");
  }
  if (values["tls-self-signed"] && values["tls-cert"] !== undefined) {
    problems.push("--tls-self-signed and --tls-cert exclude each other");
  }
  const logLevel = values["log-level"];
  if (logLevel !== undefined && !(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    problems.push(`--log-level must be one of ${LOG_LEVELS.join(", ")}, got '${logLevel}'`);
  }
  if (problems.length > 0) {
    console.error(`asyncflow agent: ${problems.join("; ")}\n${USAGE}`);
    return 2;
  }
  guardRejections();
  let agent;
  try {
    agent = await startAgent({
      listen: values.listen ?? "127.0.0.1:0",
      modules,
      launch: launch as LaunchMethod,
      ...(values.dir !== undefined ? { dir: values.dir } : {}),
      ...(cores !== undefined ? { cores } : {}),
      ...(gpus !== undefined ? { gpus } : {}),
      ...(workers !== undefined ? { workers } : {}),
      ...(values["endpoint-file"] !== undefined ? { endpointFile: values["endpoint-file"] } : {}),
      ...(values["tls-self-signed"] ? { tls: "self-signed" as const } : {}),
      ...(values["tls-cert"] !== undefined
        ? {
          tls: {
            cert: readFileSync(values["tls-cert"], "utf8"),
            key: readFileSync(values["tls-key"]!, "utf8"),
          },
        }
        : {}),
      ...(values["new-token"] ? { newToken: true } : {}),
      ...(logLevel !== undefined ? { logLevel: logLevel as LogLevel } : {}),
      ...(values["no-executors"] ? { executors: false } : {}),
    });
  } catch (error) {
    console.error(`asyncflow agent: ${(error as Error).message}`);
    return 1;
  }
  console.log(JSON.stringify({ url: agent.url, dir: agent.dir, tokenFile: `${agent.dir}/token` }));
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await agent.close();
  return 0;
}

if (import.meta.main) process.exit(await agentCommand(process.argv.slice(2)));
