/**
 * A measured function task's `ExecutionRecord`, from the {@linkcode JobUsage} its Worker sent.
 *
 * @module
 */
import type { ExecutionRecord } from "../../src/execution_record.ts";
import type { JobUsage } from "./protocol.ts";

/**
 * A measured job's record: its times and, where the runtime tells, its thread's CPU time.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { jobRecord } from "./job_record.ts";
 * assert.deepEqual(jobRecord([1000, 2.5, 1.25]), { startedAt: 1000, endedAt: 1002.5, cpuMs: 1.25 });
 * assert.deepEqual(jobRecord([1000, 2.5, -1]), { startedAt: 1000, endedAt: 1002.5 });
 * ```
 */
export function jobRecord([startedAt, wallMs, cpuMs]: JobUsage): ExecutionRecord {
  const round = (ms: number) => Math.round(ms * 1000) / 1000;
  return {
    startedAt,
    endedAt: round(startedAt + wallMs),
    ...(cpuMs >= 0 ? { cpuMs: round(cpuMs) } : {}),
  };
}
