/**
 * The batch script that starts the agent inside a Slurm allocation. Pure: it only builds text,
 * after checking every input, so that nothing the user passes can add a line to the script or
 * an `#SBATCH` directive.
 *
 * @module
 */

/** What goes into a pilot's batch script. */
export interface BatchScriptOptions {
  /** Number of nodes; a positive integer. */
  nodes: number;
  /** Walltime in a Slurm format: `minutes`, `M:S`, `H:M:S`, `D-H`, `D-H:M` or `D-H:M:S`. */
  walltime: string;
  /** The pilot directory, an absolute path on a filesystem the compute nodes share. */
  pilotDir: string;
  /** The agent's argv, run from the script (quoted for the shell). */
  agentCommand: readonly string[];
  /** Partition (`#SBATCH --partition`); the cluster's default when absent. */
  partition?: string;
  /** Account to charge (`#SBATCH --account`). */
  account?: string;
  /** Job name; default `asyncflow-pilot`. */
  jobName?: string;
  /** Ask for whole nodes (`#SBATCH --exclusive`), so the agent may use every core; default true. */
  exclusive?: boolean;
  /**
   * Keep the job when one of its nodes fails (`#SBATCH --no-kill`); default true. The agent then
   * loses that node only — its tasks fail with `NodeLostError`, for retries on the others —
   * instead of Slurm ending the whole pilot with NODE_FAIL.
   */
  noKill?: boolean;
  /** Further sbatch options, one per `#SBATCH` line, e.g. `["--gres=gpu:4", "--qos=debug"]`. */
  sbatch?: readonly string[];
  /** Variables exported before the agent starts (e.g. `SLURM_MPI_TYPE: "pmi2"` for MPI via srun). */
  env?: Readonly<Record<string, string>>;
  /** Shell lines run before the agent, verbatim (e.g. `module load mpich`); one line each. */
  setup?: readonly string[];
}

/** Files a pilot keeps in its directory. */
export const PILOT_FILES = {
  script: "pilot.sh",
  output: "pilot.out",
  info: "pilot.json",
  endpoint: "endpoint.json",
  exitCode: "exit_code",
} as const;

const SAFE_VALUE = /^[A-Za-z0-9_.,:+@=\-]+$/;
const SAFE_PATH = /^\/[A-Za-z0-9_.,:+@=\/\-]*$/;
const SAFE_OPTION = /^--?[A-Za-z][A-Za-z0-9\-]*(=[A-Za-z0-9_.,:+@=\/\-]+)?$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Writes the text of a pilot's batch script.
 *
 * The script asks for the nodes and walltime, sends its output to `pilot.out` in the pilot
 * directory, exports `env`, runs `setup`, then runs the agent; when the agent exits, its exit
 * status is written to `exit_code` in the pilot directory (a cancelled or timed-out job leaves none).
 *
 * @param options What to ask for and what to run.
 * @returns The script, starting with `#!/bin/bash`.
 * @throws {RangeError} On a bad node count, walltime, name, path, option, variable or line; the
 * message names the option and the value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeBatchScript } from "@asyncflow/asyncflow/agent/pilot";
 * const script = writeBatchScript({
 *   nodes: 2,
 *   walltime: "1:00:00",
 *   pilotDir: "/scratch/me/pilot-1",
 *   agentCommand: ["/usr/bin/node", "/opt/asyncflow/agent/main.ts", "--dir", "/scratch/me/pilot-1"],
 *   partition: "debug",
 * });
 * assert.match(script, /^#SBATCH --nodes=2$/m);
 * assert.match(script, /^#SBATCH --no-kill$/m); // a failed node is lost, not the whole pilot
 * ```
 */
export function writeBatchScript(options: BatchScriptOptions): string {
  const { nodes, walltime, pilotDir, agentCommand } = options;
  if (!Number.isSafeInteger(nodes) || nodes < 1) {
    throw new RangeError(`'nodes' must be a positive integer, got ${nodes}`);
  }
  walltimeSeconds(walltime);
  if (!SAFE_PATH.test(pilotDir) || pilotDir.includes("/../") || pilotDir.endsWith("/..")) {
    throw new RangeError(
      `'pilotDir' must be an absolute path of letters, digits and _.,:+@=/- only, got ` +
        JSON.stringify(pilotDir),
    );
  }
  const dir = pilotDir.replace(/\/+$/, "") || "/";
  const lines = [
    "#!/bin/bash",
    `#SBATCH --job-name=${value("jobName", options.jobName ?? "asyncflow-pilot")}`,
    `#SBATCH --nodes=${nodes}`,
    `#SBATCH --time=${walltime}`,
    `#SBATCH --output=${dir}/${PILOT_FILES.output}`,
  ];
  if (options.exclusive ?? true) lines.push("#SBATCH --exclusive");
  if (options.noKill ?? true) lines.push("#SBATCH --no-kill");
  if (options.partition !== undefined) {
    lines.push(`#SBATCH --partition=${value("partition", options.partition)}`);
  }
  if (options.account !== undefined) {
    lines.push(`#SBATCH --account=${value("account", options.account)}`);
  }
  for (const option of options.sbatch ?? []) {
    if (!SAFE_OPTION.test(option)) {
      throw new RangeError(
        `'sbatch' entries must look like --name=value (letters, digits, _.,:+@=/-), got ` +
          JSON.stringify(option),
      );
    }
    lines.push(`#SBATCH ${option}`);
  }
  lines.push(
    "",
    "# An asyncflow pilot: the agent below writes its URL and token to endpoint.json in the",
    "# pilot directory, where the client reads them.",
    "set -u",
  );
  for (const [name, val] of Object.entries(options.env ?? {})) {
    if (!ENV_NAME.test(name)) {
      throw new RangeError(`'env' names must be shell variable names, got ${JSON.stringify(name)}`);
    }
    lines.push(`export ${name}=${shellQuote(oneLine("'env' value", val))}`);
  }
  for (const line of options.setup ?? []) lines.push(oneLine("'setup' line", line));
  if (agentCommand.length === 0) throw new RangeError("'agentCommand' must not be empty");
  const command = agentCommand.map((arg) => shellQuote(oneLine("'agentCommand' argument", arg)));
  lines.push(
    "status=0",
    `${command.join(" ")} || status=$?`,
    `echo "$status" > ${shellQuote(`${dir}/${PILOT_FILES.exitCode}`)}`,
    'exit "$status"',
    "",
  );
  return lines.join("\n");
}

/**
 * Parses a Slurm walltime into seconds.
 *
 * @param walltime `minutes`, `M:S`, `H:M:S`, `D-H`, `D-H:M` or `D-H:M:S`.
 * @returns The walltime in seconds, more than zero.
 * @throws {RangeError} When the text is not one of those forms, a field is out of range or the
 * total is zero.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { walltimeSeconds } from "@asyncflow/asyncflow/agent/pilot";
 * assert.equal(walltimeSeconds("1-02:00:00"), 93600);
 * ```
 */
export function walltimeSeconds(walltime: string): number {
  const bad = (why: string) =>
    new RangeError(
      `'walltime' ${why}, got ${JSON.stringify(walltime)} ` +
        "(forms: minutes, M:S, H:M:S, D-H, D-H:M, D-H:M:S)",
    );
  if (typeof walltime !== "string") throw bad("must be a string");
  const m = /^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$/.exec(walltime);
  if (!m) throw bad("is not a Slurm time");
  const [, d, a, b, c] = m;
  let seconds: number;
  const limit = (field: string | undefined, max: number, name: string) => {
    const n = Number(field ?? 0);
    if (n >= max) throw bad(`has ${name} ${n}, which must be below ${max}`);
    return n;
  };
  if (d !== undefined) {
    // D-H, D-H:M, D-H:M:S
    seconds = Number(d) * 86400 + limit(a, 24, "hours") * 3600 + limit(b, 60, "minutes") * 60 +
      limit(c, 60, "seconds");
  } else if (c !== undefined) {
    seconds = Number(a) * 3600 + limit(b, 60, "minutes") * 60 + limit(c, 60, "seconds");
  } else if (b !== undefined) {
    seconds = Number(a) * 60 + limit(b, 60, "seconds");
  } else {
    seconds = Number(a) * 60;
  }
  if (seconds <= 0) throw bad("must be longer than zero");
  return seconds;
}

/**
 * Quotes one word for a POSIX shell.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shellQuote } from "./batch_script.ts";
 * assert.equal(shellQuote("it's"), "'it'\\''s'");
 * ```
 */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_.,:+@=\/\-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

function value(name: string, text: string): string {
  if (!SAFE_VALUE.test(text)) {
    throw new RangeError(
      `'${name}' must be letters, digits and _.,:+@=- only, got ${JSON.stringify(text)}`,
    );
  }
  return text;
}

function oneLine(what: string, text: string): string {
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(text)) {
    throw new RangeError(
      `each ${what} must be one line without control characters, got ${JSON.stringify(text)}`,
    );
  }
  return text;
}
