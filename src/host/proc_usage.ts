/**
 * CPU time and peak memory of a running command, read on Linux from `/proc/<pid>/stat` (user and
 * system time, its own and that of the children it has waited for), `/proc/<pid>/status`
 * (`VmHWM`, the high-water mark of its resident memory) and `/proc/<pid>/task/<pid>/children`, for
 * the process started and every process under it. Elsewhere it reads nothing.
 *
 * The command's parent (this runtime) reaps it as soon as it exits, and its memory is released
 * before its stdout closes, so nothing can be read after the end: a few samples while it runs
 * (the first after 10 ms, then at growing intervals up to once a second) and one read of its CPU
 * time when its stdout closes. CPU time is exact when that last read comes before the runtime
 * reaps the process (most of the time), else it is that of the last sample; memory is that of
 * the last sample. (A command started through the launcher has its exact CPU time from the
 * launcher, taken as it reaps it: see `launcher_script.ts`.) A command that ends before the first sample may have no memory figure.
 *
 * @module
 */
import type { ProcessUsage } from "./host.ts";

/** The first sample's delay, and the longest interval between two samples. */
const FIRST_SAMPLE_MS = 10;
const MAX_INTERVAL_MS = 1_000;
/** Linux reports times in clock ticks of 1/USER_HZ s, 100 on every architecture it ships. */
const TICK_MS = 10;
/** The most processes of one command read per sample: a fork bomb is not walked to its end. */
const MAX_PROCESSES = 256;

/** The file reads the sampler needs (`node:fs`'s `readFileSync`, as text). */
export type ReadText = (path: string) => string;

/**
 * Samples one process until {@linkcode UsageSampler.stop}: call `sample()` once more as it exits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { existsSync, readFileSync } from "node:fs";
 * import process from "node:process";
 * import { UsageSampler } from "./proc_usage.ts";
 * const sampler = new UsageSampler(process.pid, (path) => readFileSync(path, "utf8"));
 * sampler.sample(); // a command's: sample(true) when its stdout closes
 * sampler.stop(); // a command's: when it has been reaped
 * if (existsSync("/proc/self/stat")) assert.ok(sampler.usage.maxRssKiB! > 1024);
 * else assert.deepEqual(sampler.usage, {});
 * ```
 */
export class UsageSampler {
  readonly #pid: number;
  readonly #read: ReadText;
  #cpuMs: number | undefined;
  #maxRssKiB: number | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #interval = FIRST_SAMPLE_MS;

  /**
   * Starts sampling `pid`.
   *
   * @param pid The process (the leader of the command's process group).
   * @param read Reads a file as text; throws when it is gone.
   */
  constructor(pid: number, read: ReadText) {
    this.#pid = pid;
    this.#read = read;
    this.#schedule();
  }

  /**
   * Reads the process now, with the processes it started (a shell's commands): CPU time summed
   * over them, and memory as the sum of their high-water marks (as Nextflow's `peak_rss`). A
   * process already gone leaves the values of the last read.
   *
   * @param exiting The process is exiting (its stdout closed): its memory and its children are
   *   gone, and the children it waited for are in its own CPU time, so only that is read.
   */
  sample(exiting = false): void {
    let ticks = 0;
    let hwmKiB = 0;
    let found = false;
    const pids = [this.#pid];
    for (let i = 0; i < pids.length && i < MAX_PROCESSES; i++) {
      const pid = pids[i]!;
      const fields = this.#statFields(pid);
      if (fields === undefined) continue; // gone (reaped) since its parent listed it
      found = true;
      // utime, stime, cutime, cstime: fields 14 to 17 of proc(5), from 3 (state) here.
      ticks += [11, 12, 13, 14].reduce((sum, f) => sum + (Number(fields[f]) || 0), 0);
      if (exiting || fields[0] === "Z") continue; // a zombie has no memory left, nor children
      const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(this.#text(`/proc/${pid}/status`) ?? "");
      if (hwm) hwmKiB += Number(hwm[1]);
      const children = this.#text(`/proc/${pid}/task/${pid}/children`)?.trim();
      if (children) pids.push(...children.split(" ").map(Number));
    }
    if (found) this.#cpuMs = Math.max(this.#cpuMs ?? 0, ticks * TICK_MS);
    if (hwmKiB > 0) this.#maxRssKiB = Math.max(this.#maxRssKiB ?? 0, hwmKiB);
  }

  /** The fields of `/proc/<pid>/stat` after the command's name (which may hold anything). */
  #statFields(pid: number): string[] | undefined {
    const stat = this.#text(`/proc/${pid}/stat`);
    return stat?.slice(stat.lastIndexOf(")") + 2).split(" ");
  }

  #text(path: string): string | undefined {
    try {
      return this.#read(path);
    } catch {
      return undefined; // the process is gone
    }
  }

  /** Stops sampling (once the process is reaped, there is nothing left to read). */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** What was measured so far. */
  get usage(): ProcessUsage {
    const usage: ProcessUsage = {};
    if (this.#cpuMs !== undefined) usage.cpuMs = this.#cpuMs;
    if (this.#maxRssKiB !== undefined) usage.maxRssKiB = this.#maxRssKiB;
    return usage;
  }

  #schedule(): void {
    this.#timer = setTimeout(() => {
      this.sample();
      this.#interval = Math.min(this.#interval * 2, MAX_INTERVAL_MS);
      this.#schedule();
    }, this.#interval);
    // A sampler never keeps the runtime alive on its own.
    (this.#timer as { unref?: () => void }).unref?.();
  }
}
