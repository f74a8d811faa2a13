/**
 * Waits for the agent inside a pilot to announce itself in `endpoint.json`.
 *
 * @module
 */
import { access, readFile } from "node:fs/promises";
import { join } from "node:path";
import { PILOT_FILES } from "./batch_script.ts";
import { neverStartReason, PilotCannotStartError } from "./never_start.ts";
import { pilotStatus } from "./status.ts";
import type { SlurmCliOptions } from "./_slurm_cli.ts";

/** Where a pilot's agent listens and the token it wants. */
export interface PilotEndpoint {
  /** The agent's base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** The bearer token the agent wants. */
  token: string;
}

/** Options of {@linkcode waitForEndpoint}. */
export interface WaitForEndpointOptions extends SlurmCliOptions {
  /** Give up after this long; default 600 000 ms (a queued job may wait long). */
  timeoutMs?: number;
  /** How often to look at the file; default 250 ms. */
  pollMs?: number;
  /** How often to ask Slurm whether the job still lives, when `pilot.json` names it; default 5 000 ms. */
  jobCheckMs?: number;
  /** Stops waiting. */
  signal?: AbortSignal;
}

/**
 * Waits until the agent has written `endpoint.json` (`{ url, token, … }`) into the pilot
 * directory, and returns its URL and token.
 *
 * Polls the file: shared filesystems (NFS, Lustre, GPFS) do not report another node's writes to
 * file watchers. Fails early, with the end of `pilot.out`, when the job ends before the agent
 * has written the file.
 *
 * @param pilotDir The pilot directory.
 * @param options Deadline, poll interval, abort signal, where Slurm's tools are.
 * @returns The agent's URL and token.
 * @throws {PilotCannotStartError} When Slurm says the job can never start (e.g. it asks for more
 * nodes than its partition allows): at the first look at the job, not at the deadline.
 * @throws {Error} On the deadline, an abort, or a job that ended without an endpoint.
 *
 * @example
 * ```ts ignore
 * import { waitForEndpoint } from "./endpoint.ts";
 * const { url, token } = await waitForEndpoint("/scratch/me/p1", { timeoutMs: 120_000 });
 * ```
 */
export async function waitForEndpoint(
  pilotDir: string,
  options: WaitForEndpointOptions = {},
): Promise<PilotEndpoint> {
  const timeoutMs = options.timeoutMs ?? 600_000;
  const pollMs = options.pollMs ?? 250;
  const jobCheckMs = options.jobCheckMs ?? 5_000;
  const deadline = Date.now() + timeoutMs;
  const hasJob = await exists(join(pilotDir, PILOT_FILES.info));
  // The first look is at once: a job that can never start says so when it is submitted.
  let nextJobCheck = Date.now();
  let looks = 0;
  for (;;) {
    options.signal?.throwIfAborted();
    const endpoint = await readEndpoint(join(pilotDir, PILOT_FILES.endpoint));
    if (endpoint !== undefined) return endpoint;
    if (await exists(join(pilotDir, PILOT_FILES.exitCode))) {
      throw await endedError(pilotDir, "the agent exited");
    }
    if (hasJob && Date.now() >= nextJobCheck) {
      // Slurm gives a new job its reason on its next scheduling pass: the first looks are close.
      nextJobCheck = Date.now() + (looks++ < 5 ? Math.min(1_000, jobCheckMs) : jobCheckMs);
      const status = await pilotStatus(pilotDir, options);
      if (!status.active) {
        // The agent may have written the file just before the job ended.
        if (await readEndpoint(join(pilotDir, PILOT_FILES.endpoint))) continue;
        throw await endedError(pilotDir, `job ${status.jobId} is ${status.state}`);
      }
      if (status.state === "PENDING" && neverStartReason(status.reason ?? "") !== undefined) {
        throw new PilotCannotStartError(status.jobId, status.reason!, pilotDir);
      }
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `no ${PILOT_FILES.endpoint} in ${pilotDir} after ${timeoutMs} ms: the job may still be ` +
          "queued (see 'asyncflow pilot status')",
      );
    }
    await delay(Math.min(pollMs, Math.max(deadline - Date.now(), 0)), options.signal);
  }
}

/** The endpoint in a file, or undefined while it is missing or half-written. */
async function readEndpoint(path: string): Promise<PilotEndpoint | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return undefined;
  }
  try {
    const data = JSON.parse(text);
    if (typeof data?.url === "string" && typeof data?.token === "string" && data.token !== "") {
      return { url: data.url, token: data.token };
    }
  } catch {
    // Partly written: look again.
  }
  return undefined;
}

async function endedError(pilotDir: string, what: string): Promise<Error> {
  let tail = "";
  try {
    const out = await readFile(join(pilotDir, PILOT_FILES.output), "utf8");
    tail = out.trimEnd().split("\n").slice(-10).join("\n");
  } catch {
    // no output yet
  }
  return new Error(
    `the pilot in ${pilotDir} ended before its agent wrote ${PILOT_FILES.endpoint}: ${what}` +
      (tail ? `; the end of ${PILOT_FILES.output}:\n${tail}` : ""),
  );
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener("abort", aborted);
      resolve();
    }
    function aborted() {
      clearTimeout(timer);
      reject(signal?.reason);
    }
    signal?.addEventListener("abort", aborted, { once: true });
  });
}
