/** Helpers of the staging tests: a RemoteBackend driven by a context of the test's own. */
import type { BackendContext, TaskSpec } from "../../src/backend.ts";
import type { ExecutionRecord } from "../../src/execution_record.ts";
import type { TaskFiles } from "../../src/task_files.ts";
import type { RemoteBackend } from "../../backends/remote/mod.ts";

/** How a task ended, as the backend reported it. */
export interface Outcome {
  state: "done" | "failed" | "cancelled";
  value?: unknown;
  error?: Error;
  record?: ExecutionRecord;
}

/**
 * A backend attached to a context that keeps every report; `run` submits one task and waits.
 * A task's `cwd` is `root` unless it says otherwise (as an engine started there would give).
 */
export async function driven(backend: RemoteBackend, root: string): Promise<{
  run: (spec: Partial<TaskSpec> & { files?: TaskFiles }) => Promise<Outcome>;
  close: () => Promise<void>;
}> {
  const records = new Map<string, ExecutionRecord>();
  const waiting = new Map<string, (o: Outcome) => void>();
  const end = (id: string, o: Outcome) => {
    const record = records.get(id);
    waiting.get(id)?.(record ? { ...o, record } : o);
  };
  const ctx: BackendContext = {
    engineUid: "staging-test",
    workDir: root,
    running: () => {},
    ran: (id, record) => void records.set(id, record),
    done: (id, value) => end(id, { state: "done", value }),
    failed: (id, error) => end(id, { state: "failed", error: error as Error }),
    cancelled: (id) => end(id, { state: "cancelled" }),
  };
  await backend.attach(ctx);
  let n = 0;
  return {
    run: (spec) => {
      const id = `task.${String(++n).padStart(6, "0")}`;
      const full: TaskSpec = {
        id,
        uid: id,
        name: spec.name ?? `t${n}`,
        kind: "executable",
        args: [],
        priority: 0,
        attempt: 1,
        workflowId: "w",
        cwd: root,
        ...spec,
      };
      const outcome = new Promise<Outcome>((resolve) => waiting.set(id, resolve));
      backend.submit([full]);
      return outcome;
    },
    close: () => backend.shutdown(),
  };
}
