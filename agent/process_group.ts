/**
 * A command's process group, reached after its first process (the shell) has exited. Whatever a
 * command starts in the background stays in its group: cancel, expiry and shutdown must end it
 * too, and the command's slots are taken until the group is empty — the cores are busy for as
 * long as any of its processes runs. A group id is not given to a new process while the group
 * has members, so signalling it never reaches a stranger while it is not empty.
 *
 * @module
 */
import { readdirSync, readFileSync } from "node:fs";
import process from "node:process";

/** Grace period between SIGTERM and SIGKILL. */
const KILL_GRACE_MS = 2_000;
/** How often an exited command's group is checked for members left behind. */
const POLL_MS = 100;

/**
 * Whether the process group `pgid` has a member.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { groupAlive } from "./process_group.ts";
 * assert.equal(groupAlive(2 ** 22 + 12345), false); // above the largest pid Linux gives
 * ```
 */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    if ((error as { code?: string }).code !== "EPERM") return false;
  }
  return livingMember(pgid);
}

/**
 * Whether a member of the group is more than a zombie (an exited process its parent has not
 * reaped yet; where the parent is an init that never reaps, it would hold the slots for good).
 * Without `/proc`, any member counts.
 */
function livingMember(pgid: number): boolean {
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return true;
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      // Fields after the command name (in parentheses, may hold spaces): state, ppid, pgrp.
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(pgrp) === pgid && state !== "Z" && state !== "X") return true;
    } catch {
      // Gone meanwhile.
    }
  }
  return false;
}

function signal(pgid: number, sig: "SIGTERM" | "SIGKILL"): void {
  try {
    process.kill(-pgid, sig);
  } catch {
    // Empty already.
  }
}

/**
 * A running command's group: {@linkcode terminate} it (SIGTERM, then SIGKILL after a grace
 * period if members remain), and learn when it is {@linkcode empty}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { spawn } from "node:child_process";
 * import { ProcessGroup } from "./process_group.ts";
 * const child = spawn("sh", ["-c", "sleep 30 > /dev/null & exit 0"], { detached: true });
 * const group = new ProcessGroup(child.pid!);
 * await new Promise((r) => child.once("exit", r)); // the shell is gone, its child is not
 * group.terminate();
 * await group.empty();
 * assert.equal(group.alive, false);
 * ```
 */
export class ProcessGroup {
  /** The group id: the pid of the command's first process. */
  readonly pgid: number;
  #killTimer: ReturnType<typeof setTimeout> | undefined;
  #empty: Promise<void> | undefined;

  /** @param pgid The group id. */
  constructor(pgid: number) {
    this.pgid = pgid;
  }

  /** Whether a member is left. */
  get alive(): boolean {
    return groupAlive(this.pgid);
  }

  /** SIGTERM to every member now, SIGKILL to those left after the grace period. */
  terminate(): void {
    signal(this.pgid, "SIGTERM");
    this.#killTimer ??= setTimeout(() => {
      if (this.alive) signal(this.pgid, "SIGKILL");
    }, KILL_GRACE_MS);
  }

  /**
   * Resolves once no member is left. Called when the first process has exited: members left
   * behind are checked for every 100 ms until they are gone (or {@linkcode terminate}d).
   */
  empty(): Promise<void> {
    return this.#empty ??= new Promise((resolve) => {
      const check = () => {
        if (this.alive) {
          setTimeout(check, POLL_MS);
          return;
        }
        clearTimeout(this.#killTimer);
        resolve();
      };
      check();
    });
  }
}
