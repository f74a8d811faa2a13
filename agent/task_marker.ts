/**
 * Finds commands by the mark they carry in their environment. A command is started before its pid
 * can reach the journal, so an agent killed in between leaves a process the journal does not
 * name; every command therefore carries `ASYNCFLOW_AGENT_TASK=<its files' prefix>` (unique per
 * agent directory and task), and a restarted agent looks for those marks in `/proc` to end what
 * it lost track of.
 *
 * @module
 */
import { readdirSync, readFileSync } from "node:fs";
import process from "node:process";

/** The environment variable that marks a command's processes. */
export const TASK_MARKER = "ASYNCFLOW_AGENT_TASK";

/**
 * The process groups of every marked process this user may read, by mark: one pass over `/proc`
 * (Linux; elsewhere nothing is found), however many tasks a restart looks for.
 *
 * @returns Mark → the process groups that hold a process carrying it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { markedGroups } from "./task_marker.ts";
 * assert.equal(markedGroups().get("/no/such/agent/sessions/s/1"), undefined);
 * ```
 */
export function markedGroups(): Map<string, Set<number>> {
  const groups = new Map<string, Set<number>>();
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return groups;
  }
  const prefix = `${TASK_MARKER}=`;
  for (const pid of pids) {
    try {
      const mark = readFileSync(`/proc/${pid}/environ`, "latin1").split("\0")
        .find((entry) => entry.startsWith(prefix))?.slice(prefix.length);
      if (mark === undefined) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const pgrp = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
      if (!(pgrp > 1) || pgrp === process.pid) continue;
      const known = groups.get(mark);
      if (known) known.add(pgrp);
      else groups.set(mark, new Set([pgrp]));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return groups;
}

/**
 * SIGKILLs process groups (those {@linkcode markedGroups} found for one task).
 *
 * @param groups The process group ids.
 * @returns How many were signalled.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { killGroups } from "./task_marker.ts";
 * assert.equal(killGroups(undefined), 0);
 * ```
 */
export function killGroups(groups: Iterable<number> | undefined): number {
  let n = 0;
  for (const group of groups ?? []) {
    n++;
    try {
      process.kill(-group, "SIGKILL");
    } catch {
      // Gone already.
    }
  }
  return n;
}
