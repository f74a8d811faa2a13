/**
 * What the agent's log says about tasks: one line per batch, per start and per end.
 *
 * @module
 */
import type { SubmitResult, WireState } from "../protocol/v1.ts";
import type { AgentLog } from "./agent_log.ts";
import type { AgentTask, EventDetail, Session } from "./session.ts";

/**
 * One line per start and per end of a task (`lost` is a warning). A function's start and
 * success are `debug`: it takes microseconds, and two lines each would double its cost.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AgentLog } from "./agent_log.ts";
 * import { logTaskChange } from "./task_log_lines.ts";
 * const lines: string[] = [];
 * const log = new AgentLog({ level: "warn", stderr: (l) => lines.push(l) });
 * const rec = { id: "t1", n: 1, task: { id: "t1", kind: "executable", command: "true" }, state: "lost", session: { id: "s" }, files: "" };
 * logTaskChange(log, rec as never, "lost", { error: { name: "TaskLostError", message: "gone" } });
 * assert.deepEqual(lines, ["asyncflow agent: warn: task lost session=s id=t1 n=1 error=gone\n"]);
 * ```
 */
export function logTaskChange(
  log: AgentLog,
  rec: AgentTask,
  state: WireState,
  detail: EventDetail,
): void {
  const quiet = rec.task.kind === "function" && (state === "running" || state === "done");
  if (!log.enabled(state === "lost" ? "warn" : quiet ? "debug" : "info")) return;
  const run = rec.run;
  const fields = { session: rec.session.id, id: rec.id, n: rec.n };
  const say = quiet ? log.debug.bind(log) : log.info.bind(log);
  if (state === "running") {
    say("task started", {
      ...fields,
      kind: rec.task.kind,
      host: run?.host ?? detail.where,
      pid: run?.pid,
      command: typeof run?.command === "string" ? run.command : run?.command?.join(" "),
      cwd: run?.cwd,
    });
  } else if (state === "lost") {
    log.warn("task lost", { ...fields, error: detail.error?.message });
  } else {
    const ms = run?.startedAt !== undefined
      ? (run.endedAt ?? Date.now()) - run.startedAt
      : undefined;
    say(`task ${state}`, {
      ...fields,
      exitCode: run?.exitCode,
      signal: run?.signal,
      durationMs: ms,
      error: state === "done" ? undefined : detail.error?.message,
    });
  }
}

/**
 * One line per batch and one per refused task; one per task of the batch at `debug`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readFileSync } from "node:fs";
 * import { AgentLog } from "./agent_log.ts";
 * import { logBatch } from "./task_log_lines.ts";
 * const file = `${Deno.makeTempDirSync()}/agent.log`;
 * const log = new AgentLog({ file, level: "info" });
 * logBatch(log, { id: "s" } as never, [{ id: "a", status: "accepted" }, { id: "b", status: "rejected", error: "bad" }], 1);
 * log.close();
 * assert.match(readFileSync(file, "utf8"), / tasks accepted session=s accepted=1 duplicate=0 rejected=1\n.* task rejected session=s id=b error=bad\n$/);
 * ```
 */
export function logBatch(
  log: AgentLog,
  session: Session,
  results: readonly SubmitResult[],
  accepted: number,
): void {
  if (!log.enabled("info")) return;
  const rejected = results.filter((r) => r.status === "rejected");
  log.info("tasks accepted", {
    session: session.id,
    accepted,
    duplicate: results.length - accepted - rejected.length,
    rejected: rejected.length,
  });
  for (const r of rejected) {
    log.info("task rejected", { session: session.id, id: r.id, error: r.error });
  }
  if (!log.enabled("debug")) return;
  for (const r of results) {
    if (r.status !== "rejected") log.debug(`task ${r.status}`, { session: session.id, id: r.id });
  }
}
