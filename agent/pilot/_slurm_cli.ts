/**
 * Runs one of Slurm's command-line tools with a deadline (they wait up to Slurm's message
 * timeout, 10 s by default, when the controller does not answer).
 *
 * @module
 */
import { join } from "node:path";
import { host } from "../../src/host/mod.ts";

/** Where Slurm's tools are and how long to wait for them. */
export interface SlurmCliOptions {
  /** Directory holding `sbatch`, `squeue`, `sacct`, `scancel`; default: found on `PATH`. */
  slurmBin?: string;
  /** Give up on one tool call after this long; default 30 000 ms. */
  commandTimeoutMs?: number;
}

/** What a tool printed and how it ended. */
export interface CliResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `tool args…`; rejects when it cannot start or outlives the deadline. */
export async function runSlurm(
  tool: "sbatch" | "squeue" | "sacct" | "scancel" | "sinfo" | "scontrol",
  args: readonly string[],
  options: SlurmCliOptions = {},
): Promise<CliResult> {
  const file = options.slurmBin === undefined ? tool : join(options.slurmBin, tool);
  const ms = options.commandTimeoutMs ?? 30_000;
  const proc = host.spawn({ command: [file, ...args] });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    proc.kill();
  }, ms);
  try {
    const outcome = await proc.exited;
    if (timedOut) throw new Error(`'${tool}' did not answer within ${ms} ms`);
    return { exitCode: outcome.exitCode, stdout: outcome.stdout, stderr: outcome.stderr };
  } finally {
    clearTimeout(timer);
  }
}

/** The error for a tool that failed, with what it said. */
export function slurmError(tool: string, args: readonly string[], r: CliResult): Error {
  const said = (r.stderr.trim() || r.stdout.trim()).split("\n").slice(-5).join("\n");
  return new Error(
    `'${tool} ${args.join(" ")}' failed with exit code ${r.exitCode}${said ? `: ${said}` : ""}`,
  );
}
