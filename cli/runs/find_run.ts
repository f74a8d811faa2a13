/**
 * Finding runs: the list, newest first, and one run by id, id prefix or `last`.
 *
 * @module
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import process from "node:process";
import { didYouMean } from "../did_you_mean.ts";
import { UsageError } from "../usage.ts";
import { DEFAULT_RUNS_DIR, RUN_FILE, RUN_ID, type RunInfo, TRACE_FILE } from "./run_info.ts";

/** A run found on disk: its summary and its directory. */
export interface FoundRun {
  /** Its `run.json`. */
  info: RunInfo;
  /** Its directory. */
  dir: string;
}

/**
 * The `run.json` of a run directory, or `undefined` when it has none (or not a readable one).
 * A run marked `running` whose process is gone is read as `interrupted`: it died without
 * completing its record.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readRunInfo } from "./find_run.ts";
 * assert.equal(readRunInfo(".out/no-such-run"), undefined);
 * ```
 */
export function readRunInfo(dir: string): RunInfo | undefined {
  let info: RunInfo;
  try {
    info = JSON.parse(readFileSync(join(dir, RUN_FILE), "utf8"));
  } catch {
    return undefined;
  }
  if (info.status === "running" && !stillRunning(info)) {
    info.status = "interrupted";
    info.error ??= `its process (pid ${info.pid}) ended without completing the record`;
  }
  return info;
}

/**
 * Whether a run marked `running` is still going on: its process is alive, or it runs on another
 * machine (which cannot be asked).
 */
export function stillRunning(info: RunInfo): boolean {
  if (info.status !== "running") return false;
  if (info.host !== hostname()) return true;
  try {
    process.kill(info.pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === "EPERM";
  }
}

/**
 * The runs kept in `root`, newest first.
 *
 * @param root The runs directory. Default: `.asyncflow/runs`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { listRuns } from "@asyncflow/asyncflow/cli";
 * assert.deepEqual(listRuns(".out/no-such-runs-dir"), []);
 * ```
 */
export function listRuns(root: string = DEFAULT_RUNS_DIR): FoundRun[] {
  let names: string[];
  try {
    names = readdirSync(root).filter((n) => RUN_ID.test(n));
  } catch {
    return [];
  }
  const runs = names.flatMap((name) => {
    const dir = resolve(root, name);
    const info = readRunInfo(dir);
    return info ? [{ info, dir }] : [];
  });
  // By start time, not by id: ids only tell the second.
  return runs.sort((a, b) =>
    b.info.startedAt - a.info.startedAt || (a.info.id < b.info.id ? 1 : -1)
  );
}

/**
 * One run of `root`, by id, unique id prefix or `last` (the default).
 *
 * @param command The command asking, for messages.
 * @param root The runs directory.
 * @param ref What the user typed.
 * @throws {UsageError} When there is no run, no match, or several (naming them).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { findRun } from "./find_run.ts";
 * assert.throws(() => findRun("show", ".out/no-such-runs-dir", "last"), /no runs in/);
 * ```
 */
export function findRun(command: string, root: string, ref = "last"): FoundRun {
  const runs = listRuns(root);
  if (runs.length === 0) {
    throw new UsageError(
      command,
      `no runs in '${root}': 'asyncflow run' records one there (or name one with --runs-dir)`,
      { help: false },
    );
  }
  if (ref === "last") return runs[0]!;
  const matches = runs.filter((r) => r.info.id.startsWith(ref));
  if (matches.length === 1) return matches[0]!;
  const exact = matches.find((r) => r.info.id === ref);
  if (exact) return exact;
  if (matches.length > 1) {
    const shown = matches.slice(0, 5).map((r) => r.info.id).join(", ");
    throw new UsageError(
      command,
      `run '${ref}' is ambiguous: ${matches.length} runs start with it (${shown}${
        matches.length > 5 ? ", …" : ""
      }); type more of the id`,
      { help: false },
    );
  }
  throw new UsageError(
    command,
    `no run '${ref}' in '${root}'${
      didYouMean(ref, runs.map((r) => r.info.id))
    }; 'asyncflow log' lists the runs`,
    { help: false },
  );
}

/**
 * The trace file a command such as `report` or `run --resume` reads: `ref` itself when it is a
 * file, `<ref>/trace.jsonl` for a run directory, else the trace of the run `ref` names (an id,
 * a prefix, `last`), and of the last run when `ref` is absent.
 *
 * @throws {UsageError} When no such run or file exists.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { traceOf } from "./find_run.ts";
 * assert.equal(traceOf("report", ".out/none", "deno.json").trace, "deno.json");
 * ```
 */
export function traceOf(
  command: string,
  root: string,
  ref: string | undefined,
): { trace: string; run?: FoundRun } {
  if (ref !== undefined && existsSync(ref)) {
    if (!statSync(ref).isDirectory()) return { trace: ref };
    const info = readRunInfo(ref);
    return { trace: join(ref, TRACE_FILE), ...(info ? { run: { info, dir: resolve(ref) } } : {}) };
  }
  if (ref !== undefined && /[/\\]|\.jsonl?$/.test(ref)) {
    throw new UsageError(command, `cannot read '${ref}': no such file`, { help: false });
  }
  const run = findRun(command, root, ref);
  return { trace: join(run.dir, TRACE_FILE), run };
}
