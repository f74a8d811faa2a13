import type { TaskEvent } from "../src/events.ts";
import type { TaskKind, TaskState } from "../src/task_state.ts";

/**
 * One attempt of a task on a backend, from its `running` event to what ended it.
 * `outcome` is `"running"` when the trace ends before the attempt does.
 */
export interface GraphRun {
  /** 1 for the first attempt. */
  attempt: number;
  /** When it started running (ms since the epoch). */
  start: number;
  /** When it ended; absent while running. */
  end?: number;
  /** The worker or node, when the backend said. */
  where?: string;
  /** How it ended. */
  outcome: "running" | "done" | "failed" | "retried" | "cancelled";
}

/**
 * A task or block as the trace shows it. A task without a final event is
 * `RUNNING` if its last attempt started, else `PENDING`.
 */
export interface GraphNode {
  /** The task's uid. */
  uid: string;
  /** The task's name (`point[3]/generate`). */
  name: string;
  /** The name of its definition, shared by all its calls (`generate`), when it differs from `name`. */
  template?: string;
  /** Function, executable or block. */
  kind: TaskKind;
  /** The workflow the task belongs to. */
  workflowId: string;
  /** The state at the end of the trace. */
  state: TaskState;
  /** The enclosing block's uid, when that block is in the trace. */
  parent?: string;
  /** The uids of its dependencies that are in the trace. */
  deps: string[];
  /** When the call was made. */
  created?: number;
  /** When the first attempt started running. */
  start?: number;
  /** When it reached its final state. */
  end?: number;
  /** The backend that ran it (tasks only). */
  backend?: string;
  /** Where its last attempt ran, when the backend said. */
  where?: string;
  /** How many attempts started or were submitted (at least 1 once submitted). */
  attempts: number;
  /** Each attempt that started running. */
  runs: GraphRun[];
  /** The error, for failed and cancelled tasks; `stack` for an error of the task's own code. */
  error?: { name: string; message: string; stack?: string };
  /** The short rendering of its value, for done tasks. */
  value?: string;
  /** `true` when its result came from a resumed run's record. */
  resumed?: boolean;
  /** The exit code of its last attempt's command, when the trace records it (`event.record`). */
  exitCode?: number;
  /** The signal that ended its last attempt's command, when the trace records it. */
  signal?: string;
  /** The CPU time of its last attempt's command, in ms, when the trace records it. */
  cpuMs?: number;
  /** The peak resident memory of its last attempt's command, in KiB, when the trace records it. */
  maxRssKiB?: number;
  /** In a collapsed graph (by template): how many tasks or blocks this node stands for. */
  count?: number;
  /** In a collapsed graph (by template): how many of them are in each state. */
  states?: Partial<Record<TaskState, number>>;
}

/** A dependency: `to` waited for `from`. */
export interface GraphEdge {
  /** The dependency. */
  from: string;
  /** The dependent. */
  to: string;
}

/** The task graph of a trace: nodes in creation order, dependency edges, and block membership. */
export interface TaskGraph {
  /** Every task and block, in the order they first appear. */
  nodes: GraphNode[];
  /** Dependency edges between nodes of the graph. */
  edges: GraphEdge[];
  /** Nodes by uid. */
  byUid: ReadonlyMap<string, GraphNode>;
  /** Each block's direct members, by block uid (blocks without members map to `[]`). */
  children: ReadonlyMap<string, string[]>;
  /** Uids of the nodes outside any block of the trace, in order. */
  roots: string[];
  /** The first event's time; absent for an empty trace. */
  start?: number;
  /** The last event's time; absent for an empty trace. */
  end?: number;
}

const FINAL: Partial<Record<TaskEvent["type"], TaskState>> = {
  done: "DONE",
  failed: "FAILED",
  cancelled: "CANCELLED",
};

/**
 * Folds an event stream into the task graph. Events may come from a
 * truncated trace: tasks without a final event stay `PENDING` or `RUNNING`,
 * a task seen without its `created` event is still a node, and dependencies
 * or parents that are not in the trace are left out.
 *
 * @param events The events, in the order they were emitted.
 * @returns The graph.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildGraph } from "./mod.ts";
 * const base = { name: "a", kind: "function" as const, workflowId: "main" };
 * const g = buildGraph([
 *   { ...base, type: "created", time: 1, uid: "task.000001", deps: [] },
 *   { ...base, type: "running", time: 2, uid: "task.000001", attempt: 1 },
 * ]);
 * assert.equal(g.nodes[0]?.state, "RUNNING");
 * ```
 */
export function buildGraph(events: Iterable<TaskEvent>): TaskGraph {
  const byUid = new Map<string, GraphNode>();
  const rawDeps = new Map<string, string[]>();
  const rawParent = new Map<string, string>();
  let start: number | undefined;
  let end: number | undefined;
  for (const e of events) {
    if (start === undefined || e.time < start) start = e.time;
    if (end === undefined || e.time > end) end = e.time;
    let node = byUid.get(e.uid);
    if (node === undefined) {
      node = {
        uid: e.uid,
        name: e.name,
        kind: e.kind,
        workflowId: e.workflowId,
        state: "PENDING",
        deps: [],
        attempts: 0,
        runs: [],
      };
      byUid.set(e.uid, node);
    }
    if (node.end !== undefined) continue; // nothing changes a final state
    apply(node, e, rawDeps, rawParent);
  }
  const nodes = [...byUid.values()];
  const children = new Map<string, string[]>();
  for (const n of nodes) if (n.kind === "block") children.set(n.uid, []);
  const roots: string[] = [];
  const edges: GraphEdge[] = [];
  for (const n of nodes) {
    const parent = rawParent.get(n.uid);
    const members = parent === undefined ? undefined : children.get(parent);
    if (members && !isAncestor(n.uid, parent!, rawParent)) {
      n.parent = parent!;
      members.push(n.uid);
    } else {
      roots.push(n.uid);
    }
    for (const dep of new Set(rawDeps.get(n.uid) ?? [])) {
      if (!byUid.has(dep) || dep === n.uid) continue;
      n.deps.push(dep);
      edges.push({ from: dep, to: n.uid });
    }
  }
  return {
    nodes,
    edges,
    byUid,
    children,
    roots,
    ...(start !== undefined ? { start } : {}),
    ...(end !== undefined ? { end } : {}),
  };
}

/** Applies one event to a node that is not final yet. */
function apply(
  node: GraphNode,
  e: TaskEvent,
  rawDeps: Map<string, string[]>,
  rawParent: Map<string, string>,
): void {
  const lastRun = node.runs.at(-1);
  const open = lastRun?.end === undefined ? lastRun : undefined;
  if (e.backend !== undefined) node.backend = e.backend;
  if (e.attempt !== undefined && e.attempt > node.attempts) node.attempts = e.attempt;
  readRecord(node, e);
  switch (e.type) {
    case "created":
      node.created = e.time;
      if (typeof e.template === "string") node.template = e.template;
      if (e.deps) rawDeps.set(e.uid, e.deps);
      if (e.parent !== undefined) rawParent.set(e.uid, e.parent);
      return;
    case "running": {
      if (open) return; // a duplicate report
      const run: GraphRun = {
        attempt: e.attempt ?? node.runs.length + 1,
        start: e.time,
        outcome: "running",
      };
      if (e.where !== undefined) run.where = node.where = e.where;
      node.runs.push(run);
      node.start ??= e.time;
      node.state = "RUNNING";
      return;
    }
    case "retried":
      if (open) Object.assign(open, { end: e.time, outcome: "retried" });
      node.state = "PENDING";
      return;
    case "done":
    case "failed":
    case "cancelled":
      if (open) Object.assign(open, { end: e.time, outcome: e.type });
      node.state = FINAL[e.type]!;
      node.end = e.time;
      if (e.error) {
        node.error = { name: String(e.error.name), message: String(e.error.message) };
        if (typeof e.error.stack === "string") node.error.stack = e.error.stack;
      }
      if (e.value !== undefined) node.value = e.value;
      if (e.resumed) node.resumed = true;
      return;
    default:
      return;
  }
}

/**
 * Takes how a command ended, and what it used, from the execution record that the attempt's final event carries
 * (`record`, written by backends that report what they ran); read defensively, since a trace is
 * a file anyone may have written.
 */
function readRecord(node: GraphNode, e: TaskEvent): void {
  const record = (e as { record?: unknown }).record;
  if (record === null || typeof record !== "object") return;
  const { exitCode, signal, cpuMs, maxRssKiB } = record as Record<string, unknown>;
  if (typeof exitCode === "number" && Number.isInteger(exitCode)) node.exitCode = exitCode;
  if (typeof signal === "string" && signal.length <= 32) node.signal = signal;
  if (typeof cpuMs === "number" && cpuMs >= 0) node.cpuMs = cpuMs;
  if (typeof maxRssKiB === "number" && maxRssKiB >= 0) node.maxRssKiB = maxRssKiB;
}

/**
 * The template of a task or block: the name of its definition, which all its calls share (a
 * trace without templates names each task by its own name).
 *
 * @param node A node of {@linkcode buildGraph}'s graph.
 * @returns Its template's name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildGraph, templateOf } from "@asyncflow/asyncflow/graph";
 * const g = buildGraph([{
 *   type: "created", time: 1, uid: "task.000002", name: "point[3]/generate",
 *   template: "generate", kind: "executable", workflowId: "main", deps: [],
 * }]);
 * assert.equal(templateOf(g.nodes[0]!), "generate");
 * ```
 */
export function templateOf(node: GraphNode): string {
  return node.template ?? node.name;
}

/**
 * A node's name as its block shows it: without the block's name in front (`generate` inside
 * the box of `point[3]`, for `point[3]/generate`). A node outside any block keeps its full name.
 *
 * @param graph The graph the node belongs to.
 * @param node One of its nodes.
 * @returns The name to draw inside its block.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildGraph, localName } from "@asyncflow/asyncflow/graph";
 * const base = { type: "created" as const, time: 1, workflowId: "main", deps: [] };
 * const g = buildGraph([
 *   { ...base, uid: "block.000001", name: "point[3]", kind: "block" },
 *   { ...base, uid: "task.000002", name: "point[3]/generate", kind: "executable", parent: "block.000001" },
 * ]);
 * assert.equal(localName(g, g.nodes[1]!), "generate");
 * ```
 */
export function localName(graph: TaskGraph, node: GraphNode): string {
  const parent = node.parent === undefined ? undefined : graph.byUid.get(node.parent);
  if (parent === undefined || !node.name.startsWith(`${parent.name}/`)) return node.name;
  return node.name.slice(parent.name.length + 1);
}

/** Whether `uid` is an ancestor of `block` (a parent cycle, which only a damaged trace has). */
function isAncestor(uid: string, block: string, parents: Map<string, string>): boolean {
  let seen = 0;
  for (
    let b: string | undefined = block;
    b !== undefined && seen < 10_000;
    b = parents.get(b), seen++
  ) {
    if (b === uid) return true;
  }
  return false;
}
