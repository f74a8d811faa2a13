import type { Attempts } from "./attempts.ts";
import type { FileChecks } from "./file_checks.ts";
import type { BackendContext } from "./backend.ts";
import { CancelledError } from "./errors.ts";
import type { Kernel } from "./kernel.ts";
import type { Lanes } from "./lanes.ts";
import { stdoutValue } from "./stdout_value.ts";
import type { TaskNode } from "./task_node.ts";
import type { TraceContextHook } from "./trace_context.ts";

/**
 * The channel a backend reports through: one handler per kind of report, each
 * applied to the task waiting for that submission id.
 *
 * @param workDir The engine's own directory, `{workDir}/{engineUid}`.
 * @param outputDir Where backends keep command outputs, when the run is recorded.
 */
export function reportChannel(
  engineUid: string,
  workDir: string,
  outputDir: string | undefined,
  kernel: Kernel,
  lanes: Lanes,
  attempts: Attempts,
  files: FileChecks | undefined,
  trace: TraceContextHook,
): BackendContext {
  // One handler per kind of report, made once: applying a report allocates nothing.
  const running = (node: TaskNode, where: unknown) => attempts.started(node, where as string);
  const done = (node: TaskNode, value: unknown) => {
    lanes.leave(node);
    // A command's stdout loses its final line break here, the same for every backend.
    const o = node.options;
    const trim = node.kind === "executable" && typeof value === "string" && !o.captureOutput &&
      o.result !== "output";
    const result = trim ? stdoutValue(value) : value;
    // Declared outputs are checked before the task counts as done (not in a dry run: no files).
    if (node.files !== undefined && files !== undefined) files.finished(node, result);
    else kernel.settle(node, "DONE", result);
  };
  const failed = (node: TaskNode, error: unknown) => attempts.failed(node, error);
  const ran = (node: TaskNode, record: unknown) => {
    node.record = record as TaskNode["record"];
  };
  const cancelled = (node: TaskNode, reason: unknown) => {
    lanes.leave(node);
    const error = new CancelledError(node.uid, reason ?? "cancelled by its backend");
    kernel.settle(node, "CANCELLED", error);
  };

  /**
   * Applies a report. A report about an attempt the engine no longer waits
   * for is ignored; an error while applying one fails that task rather than
   * leaving it hanging.
   */
  const apply = (
    id: string,
    handle: (node: TaskNode, detail: unknown) => void,
    detail: unknown,
  ): void => {
    const node = lanes.nodeOf(id);
    if (node === undefined) return;
    try {
      handle(node, detail);
    } catch (error) {
      if (!node.settled) {
        lanes.leave(node);
        kernel.settle(
          node,
          "FAILED",
          new Error(`asyncflow failed while handling a report for ${node.uid}`, { cause: error }),
        );
      } else {
        console.error(`asyncflow: error while handling a report for ${node.uid}:`, error);
      }
    }
  };
  return {
    engineUid,
    workDir,
    ...(outputDir === undefined ? {} : { outputDir }),
    ran: (id, record) => apply(id, ran, record),
    running: (id, where) => apply(id, running, where),
    done: (id, value) => apply(id, done, value),
    failed: (id, error) => apply(id, failed, error),
    cancelled: (id, reason) => apply(id, cancelled, reason),
    traceContext: (task) => trace.get(task),
  };
}
