/**
 * The 3-node test cluster of scripts/slurm/multinode/start.sh, as the tests see it: where its
 * slurm.conf is, which mode it runs in, and why a test must skip. Its tools are reached with
 * `SLURM_CONF` in a child's environment only, never in this process's, so the one-node cluster's
 * tests in the same process are not redirected.
 */
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { runtime as runtimeOf } from "../../src/host/runtime.ts";

const root = process.env.ASYNCFLOW_MULTINODE_ROOT ?? "/var/lib/asyncflow-multinode";

/** The cluster's slurm.conf: give it to Slurm's tools as `SLURM_CONF`. */
export const MULTINODE_CONF = `${root}/slurm.conf`;

/** The environment for a child that talks to the 3-node cluster. */
export const multinodeEnv: Record<string, string> = {
  ...process.env as Record<string, string>,
  SLURM_CONF: MULTINODE_CONF,
};

/** The runtime this file runs on. */
export const runtime: "deno" | "bun" | "node" = runtimeOf as "deno" | "bun" | "node";

/** Runs one of Slurm's tools (or any program) on the 3-node cluster and returns its stdout. */
export function onCluster(file: string, args: string[], timeout = 30_000): string {
  return execFileSync(file, args, { encoding: "utf8", timeout, stdio: "pipe", env: multinodeEnv });
}

/**
 * `netns` (each node its own namespace, host name and address) or `multi` (Slurm's
 * multiple-slurmd mode: one host name, 127.0.0.1), as start.sh recorded it.
 */
export function multinodeMode(): "netns" | "multi" | undefined {
  try {
    const mode = readFileSync(`${root}/mode`, "utf8").trim();
    return mode === "netns" || mode === "multi" ? mode : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Why the 3-node tests cannot run here, or undefined when they can. Like the one-node test,
 * they run under one runtime only (deno unless ASYNCFLOW_SLURM_TEST_RUNTIME says bun, node or
 * all), to keep CI short.
 */
export function multinodeSkipReason(): string | undefined {
  const wanted = process.env.ASYNCFLOW_SLURM_TEST_RUNTIME ?? "deno";
  if (wanted !== "all" && wanted !== runtime) {
    return `runs under ${wanted} only, to keep CI short (ASYNCFLOW_SLURM_TEST_RUNTIME=all runs it everywhere)`;
  }
  if (multinodeMode() === undefined) {
    return `the 3-node cluster is not up (no ${root}/mode); scripts/slurm/multinode/start.sh starts it`;
  }
  try {
    // A live controller answers in milliseconds; a dead one makes sinfo wait for its timeout.
    // One line per node and partition: a test's extra partition lists a node twice.
    const lines = onCluster("sinfo", ["-h", "-N", "-r", "-o", "%N"], 5_000).trim().split("\n");
    const nodes = new Set(lines.filter((l) => l !== ""));
    if (nodes.size !== 3) return `the 3-node cluster has ${nodes.size} responding nodes`;
  } catch (error) {
    const e = error as Error & { stderr?: string };
    return `the 3-node cluster does not answer 'sinfo' (${
      (e.stderr?.trim() || e.message).split("\n")[0]
    })`;
  }
  return undefined;
}

/**
 * Whether every node is idle and nothing is left of a job on it: a node still `completing` (its
 * state is then `idle+completing` or `completing`, which `sinfo -t idle` also lists) would make
 * the next test's job wait.
 */
export function allNodesIdle(): boolean {
  const states = onCluster("sinfo", ["-h", "-N", "-o", "%N %T"]).trim().split("\n");
  return states.length === 3 && states.every((line) => line.endsWith(" idle")) &&
    onCluster("squeue", ["-h", "-o", "%i"]).trim() === "";
}

const cli = fileURLToPath(new URL("../../cli/main.ts", import.meta.url));

/**
 * `asyncflow <args>` on this runtime, with the 3-node cluster's SLURM_CONF; its stdout. It
 * rejects with the command and its stderr when it fails, or when `timeout` ms pass (0: none).
 */
export function asyncflow(args: string[], timeout = 0): Promise<string> {
  const argv = runtime === "deno" ? ["run", "-A", cli, ...args] : [cli, ...args];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, argv, { env: multinodeEnv, timeout }, (error, stdout, stderr) => {
      if (error) reject(new Error(`asyncflow ${args.join(" ")}: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** Polls for a condition that no event announces (files on the shared filesystem, Slurm's view). */
export async function until(check: () => boolean, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Two pilots, A and B, for the tests of one campaign on both: `create` makes their directories
 * under a new work directory, `submit` starts both jobs with `asyncflow pilot submit … --wait` and
 * gives their job ids, and `cancel` ends both and removes the work directory.
 */
export class TwoPilots {
  #work = "";
  readonly #name: string;

  /** @param name Names the work directory and the jobs (`asyncflow-mn-<name>-a`). */
  constructor(name: string) {
    this.#name = name;
  }

  /** The work directory (also for the test's own files). */
  get work(): string {
    return this.#work;
  }

  /** A's and B's pilot directories. */
  get dirs(): [string, string] {
    return [join(this.#work, "a"), join(this.#work, "b")];
  }

  /** Their endpoint files, as a PilotPool takes them. */
  get endpointFiles(): [string, string] {
    return [join(this.dirs[0], "endpoint.json"), join(this.dirs[1], "endpoint.json")];
  }

  create(): void {
    this.#work = mkdtempSync(join(tmpdir(), `asyncflow-mn-${this.#name}-`));
  }

  /** Submits both (each with its own `pilot submit` options) and waits for their agents. */
  async submit(a: string[], b: string[]): Promise<[string, string]> {
    const submit = (dir: string, which: string, options: string[]) =>
      asyncflow([
        ...["pilot", "submit", "--dir", dir, ...options],
        ...["--job-name", `asyncflow-mn-${this.#name}-${which}`, "--wait", "--timeout", "90"],
      ]);
    const [dirA, dirB] = this.dirs;
    await Promise.all([submit(dirA, "a", a), submit(dirB, "b", b)]);
    const job = (dir: string) => JSON.parse(readFileSync(join(dir, "pilot.json"), "utf8")).jobId;
    return [job(dirA), job(dirB)];
  }

  async cancel(): Promise<void> {
    for (const dir of this.dirs) await asyncflow(["pilot", "cancel", dir]).catch(() => {});
    rmSync(this.#work, { recursive: true, force: true });
  }
}
