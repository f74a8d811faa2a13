/**
 * Finds a command by the mark it carries in its environment. A command is started before its pid
 * can reach the journal, so an agent killed in between leaves a process the journal does not
 * name; every command therefore carries `ASYNCFLOW_AGENT_TASK=<its files' prefix>` (unique per
 * agent directory and task), and a restarted agent looks for that mark in `/proc` to end what it
 * lost track of.
 *
 * @module
 */
import { readdirSync, readFileSync } from "node:fs";
import process from "node:process";

/** The environment variable that marks a command's processes. */
export const TASK_MARKER = "ASYNCFLOW_AGENT_TASK";

/**
 * SIGKILLs the process groups of every process whose environment carries `mark` (Linux `/proc`;
 * elsewhere nothing is found). Only processes this user may read are seen.
 *
 * @param mark The value of {@linkcode TASK_MARKER} the command was started with.
 * @returns How many process groups were signalled.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { killMarkedGroups } from "./task_marker.ts";
 * assert.equal(killMarkedGroups("/no/such/agent/sessions/s/1"), 0);
 * ```
 */
export function killMarkedGroups(mark: string): number {
  const wanted = `${TASK_MARKER}=${mark}\0`;
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return 0;
  }
  const groups = new Set<number>();
  for (const pid of pids) {
    try {
      if (!`${readFileSync(`/proc/${pid}/environ`, "latin1")}\0`.includes(wanted)) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const pgrp = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
      if (pgrp > 1 && pgrp !== process.pid) groups.add(pgrp);
    } catch {
      // Gone, or not ours to read.
    }
  }
  for (const group of groups) {
    try {
      process.kill(-group, "SIGKILL");
    } catch {
      // Gone already.
    }
  }
  return groups.size;
}
