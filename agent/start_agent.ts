import { chmodSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { availableParallelism, tmpdir } from "node:os";
import { isAbsolute, resolve } from "node:path";
import process from "node:process";
import { pathToFileURL } from "node:url";
import { LocalBackend } from "../src/local_backend.ts";
import type { Backend } from "../src/backend.ts";
import { AgentLog, type LogLevel } from "./agent_log.ts";
import { createApp, MAX_FILE_BYTES } from "./http_api.ts";
import { AgentCore } from "./agent_core.ts";
import { corsOrigin } from "./cors.ts";
import type { ModuleTable } from "./function_runner.ts";
import { type Allocation, allocationFromEnv, localAllocation } from "./placement/allocation.ts";
import type { LaunchMethod } from "./placement/launch.ts";
import { NodeExecutors } from "./executor/node_executors.ts";
import { forgetJobGpuRequest, withSlurmGpus } from "./placement/slurm_gpus.ts";
import { PilotEndedError } from "./pilot/job_end.ts";
import { allocationWalltime, type WalltimeOptions } from "./pilot/walltime.ts";
import { nodeAddress } from "./node_address.ts";
import { makeSelfSignedCertificate } from "./self_signed.ts";
import { listen } from "./serve.ts";
import type { ConnectionLimits } from "./serve_limits.ts";
import { loadOrCreateToken } from "./token.ts";
import { positiveInteger } from "../src/validate.ts";

/**
 * Options of {@linkcode startAgent}.
 *
 * @example
 * ```ts
 * import type { AgentOptions } from "@asyncflow/asyncflow/agent";
 * import assert from "node:assert/strict";
 * const options: AgentOptions = { listen: "node:0", tls: "self-signed", launch: "srun" };
 * assert.equal(options.tls, "self-signed");
 * ```
 */
export interface AgentOptions {
  /**
   * `host:port` to listen on. Default `127.0.0.1:0` (loopback, a free port). The host `node`
   * stands for this node's address on the cluster network ({@linkcode nodeAddress}): with
   * `tls: "self-signed"`, the way to reach the agent from outside its node.
   */
  listen?: string;
  /** The agent's directory: token, endpoint file, journal, outputs. Default: a new temporary directory. */
  dir?: string;
  /** Task modules: name → path or URL. Function tasks address `{ module: name, export }`. */
  modules?: Record<string, string | URL>;
  /** How commands start. Default `fork`. */
  launch?: LaunchMethod;
  /** Cores of a one-node allocation (wins over Slurm's environment). */
  cores?: number;
  /** GPUs of a one-node allocation. */
  gpus?: number;
  /** The allocation, given outright. Default: `cores`/`gpus`, else Slurm's environment, else this machine. */
  allocation?: Allocation;
  /** Runs function tasks. Default: a worker pool (see `workers`), or in the agent's thread. */
  functionBackend?: Backend;
  /**
   * Function tasks run on a pool of at most this many Workers (worker threads), so a CPU-bound
   * function never holds the thread that answers clients. Default: one per core of the
   * allocation (its slots).
   */
  workers?: number;
  /**
   * Run function tasks in the agent's own thread instead (a function then shares the agent's
   * module state, and a CPU-bound one keeps the agent from answering: clients give up after
   * their `unreachableAfter`). Default `false`.
   */
  functionsInThread?: boolean;
  /**
   * Serve HTTPS: PEM texts of a certificate and key, or `"self-signed"` for a certificate the
   * agent makes at start-up for its address; the endpoint file then carries that certificate and
   * its fingerprint, which `RemoteBackend.fromEndpointFile` pins.
   */
  tls?: { cert: string; key: string } | "self-signed";
  /** Also write `{ url, token }` here (mode 0600), besides `{dir}/endpoint.json`. */
  endpointFile?: string;
  /**
   * Origins whose pages may call the agent from a browser (CORS; see `cors.ts`), each exactly
   * `scheme://host[:port]` (a `TypeError` otherwise). Default: none.
   */
  corsOrigins?: readonly string[];
  /**
   * Bounds on connections: the header timeout (10 s), the idle timeout (75 s) and the most
   * connections served at once (from the open-file limit). See `serve_limits.ts`.
   */
  connections?: ConnectionLimits;
  /** Sessions open at once; one more is refused with 503 `too_many_sessions`. Default 1 000. */
  maxSessions?: number;
  /** The largest task batch body, in bytes. Default 64 MiB. */
  maxBodyBytes?: number;
  /** The largest file a client may upload for staging, in bytes (413 above). Default 1 GiB. */
  maxFileBytes?: number;
  /**
   * The most the uploaded files may take in all, in bytes: beyond it the least recently used go,
   * and an upload with no room even then gets 507 `store_full`. Default 32 GiB.
   */
  maxStoreBytes?: number;
  /** Events kept in memory per session for reconnecting clients. Default 100 000. */
  retainEvents?: number;
  /**
   * Start one executor per node (a Slurm step each) that forks the single-rank commands placed
   * there, instead of one `srun` per command; commands that span nodes still use `launch`.
   * Default: on with `launch: "srun"` in a Slurm allocation, else off.
   */
  executors?: boolean;
  /**
   * Start commands through one long-lived launcher process on each node (the agent's, and each
   * node executor's) rather than by a spawn of the runtime each: the same processes, groups,
   * exit codes, signals and outputs, several times the rate on Node and Deno (see
   * `LocalBackend`'s `launcher`). Where there is no launcher (neither a C compiler nor
   * `/usr/bin/perl`), commands are spawned directly. Default: on Node and Deno, not on Bun, whose own spawn is as fast.
   */
  launcher?: boolean;
  /**
   * Run function tasks on every node: the scheduler places them on the nodes' cores, as it places
   * commands, and each node's executor runs them on Workers of its own (the task modules must be
   * on a filesystem the nodes share). `false`: on the agent's node only, on its worker pool.
   * Default: on with node executors and task modules, unless `functionBackend`,
   * `functionsInThread` or `workers` chooses the agent's node.
   */
  functionsOnNodes?: boolean;
  /**
   * Bytes of event JSON kept in memory per session (inline outputs make events large); an older
   * cursor gets 410 and re-syncs from the listing, which holds large outputs by reference.
   * Default 64 MiB.
   */
  retainEventBytes?: number;
  /**
   * The allocation's end and the margins before it (see {@linkcode WalltimeOptions}). Default: in a
   * Slurm job, its end from Slurm with the default margins; elsewhere none. `false`: none.
   */
  walltime?: WalltimeOptions | false;
  /**
   * How much the agent writes to `{dir}/agent.log` (rotated to `agent.log.1` beyond 16 MiB):
   * `error`, `warn`, `info` (sessions, each task's start and end, restarts) or `debug` (each
   * task of a batch). Warnings and errors also go to stderr. Default `info`.
   */
  logLevel?: LogLevel;
  /**
   * The journal is compacted whenever it has grown by this many bytes: closed sessions' lines
   * dropped, and each finished task of a live session checkpointed into one line. Default 64 MiB.
   */
  journalCompactBytes?: number;
  /** Make a new token even when `{dir}/token` holds one. Default `false`. */
  newToken?: boolean;
  /**
   * How long an expired session still answers `410 session_expired` before the agent forgets
   * it (its events, task records and output files) and answers 404. Default 10 minutes.
   */
  forgetExpiredAfterMs?: number;
}

/**
 * A running agent.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { startAgent } from "@asyncflow/asyncflow/agent";
 * await using agent = await startAgent({ cores: 1 });
 * assert.match(agent.url, /^http:\/\/127\.0\.0\.1:\d+$/);
 * ```
 */
export interface AgentHandle extends AsyncDisposable {
  /** The base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** The bearer token. */
  readonly token: string;
  /** The agent's directory. */
  readonly dir: string;
  /** Ends every open event stream (clients reconnect with their cursor): for maintenance and fault tests. */
  dropStreams(): void;
  /** Stops serving, kills running commands, closes the journal. */
  close(): Promise<void>;
  /**
   * The pilot's job is ending under the agent (Slurm sent it `signal`, SIGTERM by default:
   * `scancel`, preemption, the time limit): reports every unfinished task as cancelled with a
   * `PilotEndedError`, waits (5 s at most) until the open event streams have sent those reports,
   * then closes as {@linkcode AgentHandle.close} does.
   */
  endJob(signal?: string): Promise<void>;
}

/**
 * Starts the pilot agent: an HTTP server that accepts sessions and task
 * batches, runs commands on its allocation's slots and functions from its
 * task modules, and journals every state change in `dir`.
 *
 * @param options Where to listen, the directory, modules, allocation, launch method.
 * @returns A handle with the URL and token; `close()` stops it.
 * @throws {Error} When a module cannot be loaded or the address cannot be bound.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { startAgent } from "@asyncflow/asyncflow/agent";
 * const agent = await startAgent({ cores: 1 });
 * const res = await fetch(`${agent.url}/v1/health`, { headers: { authorization: `Bearer ${agent.token}` } });
 * assert.equal((await res.json()).status, "ok");
 * await agent.close();
 * ```
 */
export async function startAgent(options: AgentOptions = {}): Promise<AgentHandle> {
  for (const key of ["maxFileBytes", "maxStoreBytes"] as const) {
    if (options[key] !== undefined) positiveInteger(options[key], key, "asyncflow agent");
  }
  // Refused, not ignored: an origin that is not one would match no page, silently.
  for (const o of options.corsOrigins ?? []) corsOrigin(o, "corsOrigins", "startAgent");
  const listenOn = parseListen(options.listen ?? "127.0.0.1:0");
  const port = listenOn.port;
  const hostname = listenOn.hostname === "node" ? await nodeAddress() : listenOn.hostname;
  const tls = options.tls === "self-signed"
    ? await makeSelfSignedCertificate(
      isIP(hostname) ? { ipAddresses: [hostname] } : { dnsNames: [hostname] },
    )
    : options.tls;
  if (!tls && !isLoopback(hostname)) {
    console.error(
      `asyncflow agent: warning: listening on ${hostname} without TLS: the token and every task ` +
        "cross the network in clear text. Give --tls-self-signed (or --tls-cert and --tls-key), " +
        "or keep the default 127.0.0.1 and reach the agent through ssh -L.",
    );
  }
  const dir = resolve(options.dir ?? mkdtempSync(`${tmpdir()}/asyncflow-agent-`));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // The mode of mkdirSync applies only to a directory it creates: one that existed (say 0755)
  // would let others read the outputs, and the commands and environments in the journal.
  chmodSync(dir, 0o700);
  const token = loadOrCreateToken(`${dir}/token`, options.newToken ?? false);
  const log = new AgentLog({ file: `${dir}/agent.log`, level: options.logLevel ?? "info" });
  const urls = moduleUrls(options.modules ?? {});
  const modules = await loadModules(urls);
  const allocation = await slurmAllocation(options);
  const launch = options.launch ?? "fork";
  const executors = await startExecutors(options, allocation, launch, urls);
  const functionsOnNodes = executors !== undefined && onNodes(options, urls);
  const walltime = await allocationWalltime(options.walltime, allocation.source === "slurm");
  let core: AgentCore;
  try {
    core = await AgentCore.create({
      ...(walltime ? { walltime } : {}),
      dir,
      log,
      allocation,
      launch,
      ...(executors ? { executors } : {}),
      ...(options.launcher !== undefined ? { launcher: options.launcher } : {}),
      ...(functionsOnNodes ? { functionsOnNodes } : {}),
      modules,
      functionBackend: options.functionBackend ?? await functionBackend(options, urls, allocation),
      retainEvents: options.retainEvents ?? 100_000,
      ...(options.retainEventBytes !== undefined
        ? { retainEventBytes: options.retainEventBytes }
        : {}),
      forgetExpiredAfterMs: options.forgetExpiredAfterMs ?? 10 * 60_000,
      ...(options.journalCompactBytes !== undefined
        ? { journalCompactBytes: options.journalCompactBytes }
        : {}),
    });
  } catch (error) {
    log.close();
    throw error;
  }
  let streams = new AbortController();
  const maxFileBytes = options.maxFileBytes ?? MAX_FILE_BYTES;
  const openStreams = new Set<Promise<void>>();
  const app = createApp(core, {
    openStreams,
    token,
    maxBodyBytes: options.maxBodyBytes ?? 64 * 1024 * 1024,
    maxSessions: options.maxSessions ?? 1_000,
    streams: () => streams.signal,
    ...(options.corsOrigins ? { corsOrigins: options.corsOrigins } : {}),
    dir,
    maxFileBytes,
    ...(options.maxStoreBytes === undefined ? {} : { maxStoreBytes: options.maxStoreBytes }),
    log,
  });
  let server;
  try {
    server = await listen(app.fetch, {
      hostname,
      port,
      ...options.connections,
      maxBodyBytes: Math.max(maxFileBytes, options.maxBodyBytes ?? 0) + 64 * 1024 * 1024,
      ...(tls ? { tls: { cert: tls.cert, key: tls.key } } : {}),
    });
  } catch (error) {
    await core.close();
    log.close();
    throw new Error(
      `asyncflow agent: cannot listen on ${hostname}:${port}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  const url = `${tls ? "https" : "http"}://${host}:${server.port}`;
  // A certificate the agent made for itself is known to nobody else: the client pins it.
  const pin = tls && "fingerprint" in tls
    ? { certificate: tls.cert, fingerprint: tls.fingerprint }
    : {};
  const endpoint = JSON.stringify({ url, token, ...pin, dir, pid: process.pid }) + "\n";
  for (const path of [`${dir}/endpoint.json`, options.endpointFile]) {
    if (path === undefined) continue;
    // Write then rename: a reader (a client, a pilot script) never sees half a file. A stale
    // temporary file would keep its own (perhaps lax) mode: it goes first.
    rmSync(`${path}.tmp`, { force: true });
    writeFileSync(`${path}.tmp`, endpoint, { mode: 0o600 });
    chmodSync(`${path}.tmp`, 0o600);
    renameSync(`${path}.tmp`, path);
  }
  log.info("agent started", {
    url,
    dir,
    pid: process.pid,
    launch,
    nodes: allocation.nodes.map((n) => n.name).join(","),
    cores: allocation.nodes.reduce((sum, n) => sum + n.cores, 0),
    gpus: allocation.nodes.reduce((sum, n) => sum + n.gpus, 0),
    tls: tls !== undefined,
  });
  let closing: Promise<void> | undefined;
  const stop = async () => {
    log.info("agent stopping");
    streams.abort();
    await core.close();
    await server.close();
    log.info("agent stopped");
    log.close();
  };
  const close = () => closing ??= stop();
  const endJob = (signal = "SIGTERM") =>
    closing ??= (async () => {
      const jobId = process.env.SLURM_JOB_ID;
      log.warn("the pilot's job is ending: its unfinished tasks are cancelled", { jobId, signal });
      core.endJob((id) => new PilotEndedError(id, jobId, signal));
      await settled([...openStreams], END_DELIVERY_MS);
      await stop();
    })();
  return {
    url,
    token,
    dir,
    dropStreams() {
      streams.abort();
      streams = new AbortController();
    },
    close,
    endJob,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * How long an ending agent waits for its streams to send the last reports: well inside Slurm's
 * `KillWait` (30 s by default) between SIGTERM and SIGKILL.
 */
const END_DELIVERY_MS = 5_000;

/** Resolves when every promise has settled, or after `ms`. */
async function settled(promises: Promise<unknown>[], ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<void>((resolve) => timer = setTimeout(resolve, ms));
  await Promise.race([Promise.allSettled(promises), late]);
  clearTimeout(timer);
}

/**
 * The node executors, when asked for or by default (see {@linkcode AgentOptions.executors}),
 * given the task modules when they run function tasks, with one Worker per core of their node.
 */
async function startExecutors(
  o: AgentOptions,
  allocation: Allocation,
  launch: LaunchMethod,
  urls: Map<string, string>,
): Promise<NodeExecutors | undefined> {
  const wanted = o.executors ?? (launch === "srun" && allocation.source === "slurm");
  if (o.functionsOnNodes === true && !wanted) {
    throw new TypeError(
      "asyncflow agent: 'functionsOnNodes' needs node executors: give 'executors: true' " +
        "(--launch srun in a Slurm job starts them by default)",
    );
  }
  if (!wanted) return undefined;
  const cores = new Map(allocation.nodes.map((n) => [n.name, n.cores]));
  return await NodeExecutors.start(allocation.nodes.map((n) => n.name), {
    ...(o.launcher !== undefined ? { launcher: o.launcher } : {}),
    ...(onNodes(o, urls) ? { functions: { modules: urls, workers: (n) => cores.get(n)! } } : {}),
  });
}

/** Whether function tasks run on the nodes' executors (see {@linkcode AgentOptions.functionsOnNodes}). */
function onNodes(o: AgentOptions, urls: Map<string, string>): boolean {
  const agentChosen = o.functionBackend !== undefined || o.functionsInThread === true ||
    o.workers !== undefined;
  if (o.functionsOnNodes === true && agentChosen) {
    throw new TypeError(
      "asyncflow agent: 'functionsOnNodes' runs functions on the nodes' executors: it excludes " +
        "'functionBackend', 'functionsInThread' and 'workers', which choose the agent's node",
    );
  }
  return urls.size > 0 && (o.functionsOnNodes ?? !agentChosen);
}

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "::1" || /^127\./.test(hostname);
}

function parseListen(listen: string): { hostname: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(listen);
  const port = Number(match?.[3]);
  if (!match || port > 65535) {
    throw new TypeError(
      `'listen' must be host:port (e.g. 127.0.0.1:0 or [::1]:8080), got '${listen}'`,
    );
  }
  return { hostname: (match[1] ?? match[2])!, port };
}

/** The allocation, in a Slurm job with each node's own GPUs (see `placement/slurm_gpus.ts`). */
async function slurmAllocation(o: AgentOptions): Promise<Allocation> {
  const chosen = chooseAllocation(o);
  if (o.allocation || chosen.source !== "slurm") return chosen;
  const allocation = await withSlurmGpus(chosen, process.env);
  forgetJobGpuRequest(process.env); // the steps the agent starts name their own GPUs
  return allocation;
}

function chooseAllocation(o: AgentOptions): Allocation {
  if (o.allocation) return o.allocation;
  if (o.cores !== undefined || o.gpus !== undefined) {
    return { ...localAllocation(o.cores, o.gpus), source: "flags" };
  }
  return allocationFromEnv(process.env) ?? localAllocation();
}

/** Task module URLs by name; relative paths resolve against the current directory. */
function moduleUrls(specs: Record<string, string | URL>): Map<string, string> {
  const urls = new Map<string, string>();
  for (const [name, where] of Object.entries(specs)) {
    urls.set(
      name,
      where instanceof URL || /^[a-z]+:/i.test(where)
        ? String(where)
        : pathToFileURL(isAbsolute(where) ? where : resolve(where)).href,
    );
  }
  return urls;
}

/**
 * The backend of function tasks: a pool of Workers over the task modules, one per slot unless
 * `workers` says otherwise (started on demand, so an agent without function tasks starts none,
 * and loaded only then), or the agent's own thread when asked, or when there is no task module
 * (no function task can be addressed).
 */
async function functionBackend(
  o: AgentOptions,
  urls: Map<string, string>,
  allocation: Allocation,
): Promise<Backend> {
  const workers = o.workers;
  if (workers !== undefined && (!Number.isInteger(workers) || workers < 1)) {
    throw new TypeError(`asyncflow agent: 'workers' must be a positive integer, got ${workers}`);
  }
  if (o.functionsInThread && workers !== undefined) {
    throw new TypeError(
      "asyncflow agent: 'workers' and 'functionsInThread' exclude each other: functions run either on Workers or in the agent's thread",
    );
  }
  if (o.functionsInThread || urls.size === 0) return new LocalBackend({ name: "agent-functions" });
  // The Workers run on the agent's own machine: one per slot, as many as it has cores at most.
  const slots = allocation.nodes.reduce((sum, node) => sum + node.cores, 0);
  const { WorkerPoolBackend } = await import("../backends/worker_pool/mod.ts");
  return new WorkerPoolBackend({
    modules: [...urls.values()],
    size: workers ?? Math.max(1, Math.min(slots, availableParallelism())),
    name: "agent-functions",
    // The agent records every run: a function's CPU time goes on its final event.
    measureUsage: true,
  });
}

async function loadModules(urls: Map<string, string>): Promise<ModuleTable> {
  const table: ModuleTable = new Map();
  for (const [name, url] of urls) {
    try {
      table.set(name, await import(url) as Record<string, unknown>);
    } catch (error) {
      throw new Error(
        `asyncflow agent: cannot load module '${name}' from ${url}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }
  return table;
}
