/**
 * One task of a recorded run, from its trace: its state, attempts, what each attempt ran (the
 * `ExecutionRecord`s), its value or error, and the ends of its outputs.
 *
 * @module
 */
import type { ExecutionRecord, FileRecord, TaskEvent } from "../../mod.ts";
import type { GraphNode } from "../../graph/mod.ts";
import { didYouMean } from "../did_you_mean.ts";
import { UsageError } from "../usage.ts";
import { type OutputExcerpt, outputExcerpt } from "./output_excerpt.ts";

/** A task of a run, as `show <run> <task>` tells it. */
export interface TaskView extends GraphNode {
  /** What each attempt ran, in order, as its backend reported it. */
  records: (ExecutionRecord & { attempt: number })[];
  /** On a resumed run: why the task, recorded as done in the run resumed from, ran again. */
  rerun?: string;
  /** The fingerprints of its declared files as it finished (when results were recorded). */
  files?: FileRecord;
  /** The ends of the last attempt's stdout, when it was kept. */
  stdout?: OutputExcerpt;
  /** The ends of the last attempt's stderr, when it was kept. */
  stderr?: OutputExcerpt;
}

/**
 * Finds a task by uid or by name in a run's graph.
 *
 * @throws {UsageError} When nothing matches (suggesting a name), or several tasks share the
 *   name (listing their uids).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildGraph } from "@asyncflow/asyncflow/graph";
 * import { findTask } from "./task_view.ts";
 * const g = buildGraph([{ type: "created", time: 1, uid: "task.000001", name: "fit", kind: "function", workflowId: "main" }]);
 * assert.equal(findTask("show", g.nodes, "fit").uid, "task.000001");
 * assert.throws(() => findTask("show", g.nodes, "fti"), /did you mean 'fit'/);
 * ```
 */
export function findTask(command: string, nodes: GraphNode[], ref: string): GraphNode {
  const byUid = nodes.find((n) => n.uid === ref);
  if (byUid) return byUid;
  let named = nodes.filter((n) => n.name === ref);
  const other = otherSpelling(ref);
  if (named.length === 0 && other !== undefined) named = nodes.filter((n) => n.name === other);
  if (named.length === 1) return named[0]!;
  if (named.length > 1) {
    const uids = named.slice(0, 8).map((n) => n.uid).join(", ");
    throw new UsageError(
      command,
      `${named.length} tasks are named '${ref}' (${uids}${
        named.length > 8 ? ", …" : ""
      }): name one by its uid`,
      { help: false },
    );
  }
  const candidates = [...new Set(nodes.map((n) => n.name)), ...nodes.map((n) => n.uid)];
  const hint = didYouMean(ref, candidates) ||
    (other === undefined ? "" : didYouMean(other, candidates));
  throw new UsageError(
    command,
    `no task '${ref}' in this run${hint}: ` +
      `'asyncflow show <run>' lists its ${nodes.length} tasks and blocks`,
    { help: false },
  );
}

/**
 * The other spelling of an iterated YAML task's name: runs recorded before instances were named
 * `generate[3]` called them `generate-3`, so each form finds a task of either kind of run.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { otherSpelling } from "./task_view.ts";
 * assert.equal(otherSpelling("sweep[2]/generate-3"), "sweep[2]/generate[3]");
 * assert.equal(otherSpelling("sweep[2]/generate[3]"), "sweep[2]/generate-3");
 * assert.equal(otherSpelling("fit"), undefined);
 * ```
 */
export function otherSpelling(name: string): string | undefined {
  const bracket = /^(.*[^/])\[([^\]/]+)\]$/.exec(name);
  if (bracket) return `${bracket[1]}-${bracket[2]}`;
  const dash = /^(.*[^/-])-([^-/\[\]]+)$/.exec(name);
  return dash ? `${dash[1]}[${dash[2]}]` : undefined;
}

/**
 * The view of one task: its node, the records of its attempts and the ends of its outputs.
 *
 * @param node The task, from `buildGraph` of the trace.
 * @param events The trace's events.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildGraph } from "@asyncflow/asyncflow/graph";
 * import { taskView } from "./task_view.ts";
 * const events = [
 *   { type: "created", time: 1, uid: "task.000001", name: "t", kind: "executable", workflowId: "main" },
 *   { type: "done", time: 2, uid: "task.000001", name: "t", kind: "executable", workflowId: "main",
 *     record: { command: ["true"], exitCode: 0 } },
 * ] as const;
 * const view = taskView(buildGraph(events).nodes[0]!, [...events]);
 * assert.deepEqual(view.records, [{ attempt: 1, command: ["true"], exitCode: 0 }]);
 * ```
 */
export function taskView(node: GraphNode, events: readonly TaskEvent[]): TaskView {
  const records: TaskView["records"] = [];
  let attempt = 1;
  let rerun: string | undefined;
  let files: FileRecord | undefined;
  for (const e of events) {
    if (e.uid !== node.uid) continue;
    if (e.attempt !== undefined) attempt = e.attempt;
    if (e.record) records.push({ attempt, ...e.record });
    if (e.rerun !== undefined) rerun = e.rerun;
    if (e.files !== undefined) files = e.files;
  }
  const view: TaskView = { ...node, records };
  if (rerun !== undefined) view.rerun = rerun;
  if (files !== undefined) view.files = files;
  const last = records.at(-1);
  if (last?.stdoutPath !== undefined) view.stdout = outputExcerpt(last.stdoutPath);
  if (last?.stderrPath !== undefined) view.stderr = outputExcerpt(last.stderrPath);
  return view;
}
