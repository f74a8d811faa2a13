/**
 * What identifies a process beyond its pid, so that an agent restarted on a journal kills only
 * the commands its predecessor started: a pid is reused after a reboot or, in time, on a busy
 * node, and another node may share the agent's directory. A process is the same one when the
 * host, the boot and the pid's start time (Linux `/proc`) all match.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import process from "node:process";

/** A process as the journal records it. */
export interface ProcessIdentity {
  pid: number;
  /** The process's start time, in clock ticks after boot (`/proc/{pid}/stat`, field 22). */
  start: number;
  /** The kernel's boot id (`/proc/sys/kernel/random/boot_id`). */
  boot: string;
  /** The host name. */
  host: string;
}

let boot: string | undefined;

function bootId(): string | undefined {
  try {
    return boot ??= readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    return undefined;
  }
}

/** The start time of `pid`, or `undefined` when there is no such process (or no `/proc`). */
function startTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) is in parentheses and may hold spaces: count after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const start = Number(fields[19]);
    return Number.isSafeInteger(start) ? start : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The identity of a running process of this host.
 *
 * @param pid The process id.
 * @returns Its identity, or `undefined` when it cannot be known (the process is gone, or the
 * host has no `/proc`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import process from "node:process";
 * import { identify } from "./process_identity.ts";
 * assert.equal(identify(process.pid)?.pid, process.pid);
 * ```
 */
export function identify(pid: number): ProcessIdentity | undefined {
  const start = startTime(pid);
  const b = bootId();
  if (start === undefined || b === undefined) return undefined;
  return { pid, start, boot: b, host: hostname() };
}

/**
 * The identity of a process this host started: {@linkcode identify}'s, or, when the process has
 * exited already, its pid, boot and host without a start time. A command started through the
 * launcher has its pid reported a moment later, when it may be gone (and reaped) already; the
 * group it leaves behind is still this host's, and {@linkcode mayKill} lets a restart end it
 * while no other process holds the pid.
 *
 * @param pid The process id, just reported by whoever started it.
 * @returns What the journal records.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { identifyStarted, mayKill } from "./process_identity.ts";
 * const gone = identifyStarted(2 ** 22 + 12345); // above the largest pid Linux gives
 * assert.equal(gone.start, undefined);
 * if (gone.boot !== undefined) assert.equal(mayKill(gone), true);
 * ```
 */
export function identifyStarted(pid: number): Partial<ProcessIdentity> & { pid: number } {
  const known = identify(pid);
  if (known !== undefined) return known;
  const b = bootId();
  return b === undefined ? { pid } : { pid, boot: b, host: hostname() };
}

/**
 * Whether the process group a journal recorded may be killed: it was started on this host in
 * this boot, and the pid is either still the same process (same start time) or held by no
 * process at all (its members live on; a group id is not reused while it has members). A record
 * without a start time (the process had exited when its pid was journaled) matches only the
 * latter.
 *
 * @param recorded What the journal holds.
 * @returns `true` only on a match; a reason when not.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import process from "node:process";
 * import { identify, mayKill } from "./process_identity.ts";
 * const me = identify(process.pid)!;
 * assert.equal(mayKill(me), true);
 * assert.match(String(mayKill({ ...me, start: me.start + 1 })), /another process/);
 * ```
 */
export function mayKill(recorded: Partial<ProcessIdentity> & { pid: number }): true | string {
  const { pid } = recorded;
  if (recorded.host !== hostname()) {
    return `pid ${pid} was started on '${recorded.host ?? "an unknown host"}', not on this host`;
  }
  if (recorded.boot === undefined || recorded.boot !== bootId()) {
    return `pid ${pid} was started before the last reboot (or its boot is unknown)`;
  }
  const now = startTime(pid);
  if (now !== undefined && recorded.start === undefined) {
    return `pid ${pid} is held by a process (started at tick ${now}) though it had exited when journaled`;
  }
  if (now !== undefined && now !== recorded.start) {
    return `pid ${pid} is now another process (started at tick ${now}, not ${recorded.start})`;
  }
  return true;
}

/**
 * SIGKILLs the process group a journal recorded, when {@linkcode mayKill} allows it.
 *
 * @returns Why it was not killed, or `undefined` when it was (or was gone already).
 */
export function killRecordedGroup(
  recorded: Partial<ProcessIdentity> & { pid: number },
): string | undefined {
  const verdict = mayKill(recorded);
  if (verdict !== true) return verdict;
  try {
    process.kill(-recorded.pid, "SIGKILL");
  } catch {
    // Gone already.
  }
  return undefined;
}
