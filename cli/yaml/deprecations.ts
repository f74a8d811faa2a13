/**
 * Old spellings of a workflow file that still work for this release: each
 * gets a notice, at its line, that says what to write instead.
 *
 * @module
 */
import type { Path } from "./positions.ts";
import type { TaskDef, WorkflowDef } from "./schema.ts";

/** One old spelling: where it is and what to write. */
export interface Deprecation {
  /** The field's path in the file. */
  path: Path;
  /** What is deprecated and what to write instead. */
  message: string;
}

/**
 * Finds the old spellings in a validated workflow: durations given as bare
 * numbers (seconds) and `retries.attempts` (now `retries.max`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { deprecations } from "./deprecations.ts";
 * const found = deprecations({ tasks: { a: { command: "true", timeout: 30 } } });
 * assert.deepEqual(found.map((d) => d.path), [["tasks", "a", "timeout"]]);
 * assert.match(found[0]!.message, /write "30s"/);
 * ```
 */
export function deprecations(def: WorkflowDef): Deprecation[] {
  const found: Deprecation[] = [];
  const task = (t: TaskDef, at: Path) => {
    seconds(t.timeout, [...at, "timeout"], found);
    const r = t.retries;
    if (r === undefined || typeof r === "number") return;
    if (r.attempts !== undefined) {
      found.push({
        path: [...at, "retries", "attempts"],
        message: `'attempts' is deprecated and will be removed: write 'max: ${r.attempts}' ` +
          `(the same count of re-runs: the task runs at most ${r.attempts + 1} times)`,
      });
    }
    seconds(r.backoff, [...at, "retries", "backoff"], found);
    seconds(r.max_backoff, [...at, "retries", "max_backoff"], found);
  };
  for (const [id, t] of Object.entries(def.tasks)) task(t, ["tasks", id]);
  for (const [id, block] of Object.entries(def.blocks ?? {})) {
    for (const [tid, t] of Object.entries(block.tasks ?? {})) task(t, ["blocks", id, "tasks", tid]);
    block.steps?.forEach((t, i) => task(t, ["blocks", id, "steps", i]));
  }
  return found;
}

function seconds(value: unknown, path: Path, found: Deprecation[]): void {
  if (typeof value !== "number") return;
  found.push({
    path,
    message: `a duration as a bare number (seconds) is deprecated and will be refused: ` +
      `write "${value}s"`,
  });
}
