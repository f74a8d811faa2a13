import type { GraphNode, TaskGraph } from "../graph/graph_model.ts";
import { escapeHtml } from "./html_escape.ts";

/** Why a task or block failed: its own error, or another failure it followed from. */
export interface FailureCause {
  /** `root`: its own code or command failed. `dependency`: it never ran, a dependency had failed.
   * `member`: a block that failed because a task or block it started failed. */
  kind: "root" | "dependency" | "member";
  /** For a consequence: the root failures it follows from (at most 5, nearest first). */
  roots: GraphNode[];
}

/** The most root causes named for one consequence. */
const MAX_ROOTS = 5;

/**
 * Tells root failures apart from their consequences. A block that failed with the same error
 * as one of its failed members failed because of that member. A task that failed with a
 * `DependencyFailureError` never ran: its cause is the failed dependency. Everything
 * else failed on its own: a root failure. Consequences are traced back to their roots through
 * the graph's dependency and membership edges.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildGraph } from "../graph/mod.ts";
 * import { failureCauses } from "./failures.ts";
 * const base = { kind: "function" as const, workflowId: "main" };
 * const g = buildGraph([
 *   { ...base, type: "created", time: 0, uid: "a", name: "a", deps: [] },
 *   { ...base, type: "created", time: 0, uid: "b", name: "b", deps: ["a"] },
 *   { ...base, type: "failed", time: 1, uid: "a", name: "a", error: { name: "Error", message: "disk full" } },
 *   { ...base, type: "failed", time: 1, uid: "b", name: "b", error: { name: "DependencyFailureError", message: "…" } },
 * ]);
 * const causes = failureCauses(g);
 * assert.equal(causes.get("a")!.kind, "root");
 * assert.deepEqual(causes.get("b")!.roots.map((r) => r.uid), ["a"]);
 * ```
 */
export function failureCauses(graph: TaskGraph): Map<string, FailureCause> {
  const failed = graph.nodes.filter((n) => n.state === "FAILED");
  const direct = new Map<string, { kind: FailureCause["kind"]; from: GraphNode[] }>();
  for (const n of failed) {
    // A block that failed with a member's error (its body awaited the member) failed because of it.
    const members = (graph.children.get(n.uid) ?? []).map((u) => graph.byUid.get(u)!);
    const fromMembers = members.filter((m) =>
      m.state === "FAILED" && m.error?.name === n.error?.name &&
      m.error?.message === n.error?.message
    );
    if (fromMembers.length > 0) direct.set(n.uid, { kind: "member", from: fromMembers });
    else if (n.error?.name === "DependencyFailureError") {
      const from = n.deps.map((d) => graph.byUid.get(d)!).filter((d) => d.state === "FAILED");
      direct.set(n.uid, { kind: "dependency", from });
    } else direct.set(n.uid, { kind: "root", from: [] });
  }
  const causes = new Map<string, FailureCause>();
  for (const n of failed) {
    const { kind } = direct.get(n.uid)!;
    if (kind === "root") {
      causes.set(n.uid, { kind, roots: [] });
      continue;
    }
    // Breadth first, so the nearest roots are named first; iterative, for chains of any length.
    const roots: GraphNode[] = [];
    const seen = new Set([n.uid]);
    let frontier = direct.get(n.uid)!.from;
    while (frontier.length > 0 && roots.length < MAX_ROOTS) {
      const next: GraphNode[] = [];
      for (const f of frontier) {
        if (seen.has(f.uid)) continue;
        seen.add(f.uid);
        const d = direct.get(f.uid);
        if (d === undefined) continue;
        if (d.kind === "root") {
          if (roots.length < MAX_ROOTS) roots.push(f);
        } else next.push(...d.from);
      }
      frontier = next;
    }
    causes.set(n.uid, { kind, roots });
  }
  return causes;
}

const MAX_ROWS = 500;

/**
 * The failures, root failures first: a table of the tasks and blocks that failed on their own
 * (`#failures`), then one of those that failed because of another failure, each naming the root
 * failures it follows from (`#dependency-failures`), then the cancellations. Each table holds at
 * most 500 rows, with a note.
 */
export function renderFailures(graph: TaskGraph): string {
  const causes = failureCauses(graph);
  const failed = graph.nodes.filter((n) => n.state === "FAILED");
  const roots = failed.filter((n) => causes.get(n.uid)!.kind === "root");
  const consequences = failed.filter((n) => causes.get(n.uid)!.kind !== "root");
  const cancelled = graph.nodes.filter((n) => n.state === "CANCELLED");
  const rootRow = (n: GraphNode) =>
    `<tr data-uid="${escapeHtml(n.uid)}" class="primary">` +
    `<td><code>${escapeHtml(n.uid)}</code></td><td>${escapeHtml(n.name)}</td><td>${n.kind}</td>` +
    `<td>${n.attempts || ""}</td><td>${exitText(n)}</td>` +
    `<td class="err-name">${escapeHtml(n.error?.name ?? "")}</td>${messageCell(n)}</tr>`;
  const consequenceRow = (n: GraphNode) => {
    const cause = causes.get(n.uid)!;
    const because = cause.roots.map((r) =>
      `<span class="root-ref" data-root="${escapeHtml(r.uid)}">${escapeHtml(r.name)} <code>${
        escapeHtml(r.uid)
      }</code></span>`
    ).join(", ");
    const how = cause.kind === "dependency" ? "a dependency failed" : "a member failed";
    return `<tr data-uid="${escapeHtml(n.uid)}" class="secondary">` +
      `<td><code>${escapeHtml(n.uid)}</code></td><td>${escapeHtml(n.name)}</td><td>${n.kind}</td>` +
      `<td>${how}</td><td class="because">${because}</td></tr>`;
  };
  const cancelRow = (n: GraphNode) =>
    `<tr data-uid="${escapeHtml(n.uid)}" class="cancelled">` +
    `<td><code>${escapeHtml(n.uid)}</code></td><td>${escapeHtml(n.name)}</td><td>${n.kind}</td>` +
    `<td class="err-msg">${escapeHtml(n.error?.message ?? "")}</td></tr>`;
  return table(
    "Root failures",
    "failures",
    ["uid", "name", "kind", "attempts", "exit", "error", "message"],
    roots.map(rootRow),
    "No task failed on its own.",
  ) +
    table(
      "Failed because of another failure",
      "dependency-failures",
      ["uid", "name", "kind", "why", "root failures"],
      consequences.map(consequenceRow),
      "None.",
    ) +
    table(
      "Cancellations",
      "cancellations",
      ["uid", "name", "kind", "why"],
      cancelled.map(cancelRow),
      "No task was cancelled.",
    );
}

function exitText(n: GraphNode): string {
  return n.exitCode !== undefined ? String(n.exitCode) : escapeHtml(n.signal ?? "");
}

function messageCell(n: GraphNode): string {
  return `<td class="err-msg">${escapeHtml(n.error?.message ?? "")}${
    n.error?.stack
      ? `<details class="err-stack"><summary>stack</summary><pre>${
        escapeHtml(n.error.stack)
      }</pre></details>`
      : ""
  }</td>`;
}

function table(title: string, id: string, head: string[], rows: string[], empty: string): string {
  if (rows.length === 0) return `<h3>${title}</h3><p class="empty" id="${id}-none">${empty}</p>`;
  const more = rows.length > MAX_ROWS
    ? `<p class="note">Showing the first ${MAX_ROWS} of ${rows.length}.</p>`
    : "";
  return `<h3>${title} (${rows.length})</h3><table id="${id}"><thead><tr>${
    head.map((h) => `<th>${h}</th>`).join("")
  }</tr></thead><tbody>${rows.slice(0, MAX_ROWS).join("")}</tbody></table>${more}`;
}
