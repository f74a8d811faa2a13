import type { Attempts } from "./attempts.ts";
import type { BackendContext } from "./backend.ts";
import { CancelledError } from "./errors.ts";
import type { Kernel } from "./kernel.ts";
import type { Lanes } from "./lanes.ts";
import type { TaskNode } from "./task_node.ts";

/**
 * The channel a backend reports through: one handler per kind of report, each
 * applied to the task waiting for that submission id.
 *
 * @param workDir The engine's own directory, `{workDir}/{engineUid}`.
 */
export function reportChannel(
  engineUid: string,
  workDir: string,
  kernel: Kernel,
  lanes: Lanes,
  attempts: Attempts,
): BackendContext {
  /**
   * Applies a report. A report about an attempt the engine no longer waits
   * for is ignored; an error while applying one fails that task rather than
   * leaving it hanging.
   */
  const apply = (id: string, handle: (node: TaskNode) => void): void => {
    const node = lanes.nodeOf(id);
    if (node === undefined) return;
    try {
      handle(node);
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
    running: (id, where) => apply(id, (node) => attempts.started(node, where)),
    done: (id, value) =>
      apply(id, (node) => {
        lanes.leave(node);
        kernel.settle(node, "DONE", value);
      }),
    failed: (id, error) => apply(id, (node) => attempts.failed(node, error)),
    cancelled: (id, reason) =>
      apply(id, (node) => {
        lanes.leave(node);
        kernel.settle(
          node,
          "CANCELLED",
          new CancelledError(node.uid, reason ?? "cancelled by its backend"),
        );
      }),
  };
}
