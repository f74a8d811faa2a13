/**
 * When a command launched by `srun` (or `mpiexec`) fails because one of its nodes failed, that is
 * the node's fate, not the command's: it fails as {@linkcode NodeLostError} naming the node, which
 * retry policies match, and not as an `ExecutableError` the user would take for a bug of theirs.
 *
 * @module
 */
import type { ProcessOutcome } from "../../src/host/mod.ts";
import { NodeLostError } from "./node_executor.ts";

/** What srun prints when Slurm ends a step because a node of it failed. */
const SRUN_NODE_FAILURE = /^srun: error: Node failure on (\S+)$/m;

/**
 * The node loss behind a failed command, or `undefined` when it failed by itself.
 *
 * A command failed by a node loss when it ended badly and one of its nodes is known to be lost
 * (its executor fell silent or its step ended), or when srun said that Slurm ended it for a node
 * failure. The two come in either order: Slurm ends the executor's step and the command's step at
 * the same moment, so both are looked at.
 *
 * @param outcome How the command ended.
 * @param nodes The nodes it ran on.
 * @param lost The nodes the agent knows to be lost.
 * @returns The error to fail the command with, naming the node.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stepNodeLoss } from "./step_node_loss.ts";
 * const ended = { exitCode: 137, signal: null, stdout: "", stderr: "srun: error: Node failure on node3\n" };
 * assert.equal(stepNodeLoss(ended, ["node2", "node3"], [])?.node, "node3");
 * assert.equal(stepNodeLoss({ ...ended, stderr: "" }, ["node2", "node3"], ["node2"])?.node, "node2");
 * assert.equal(stepNodeLoss({ ...ended, stderr: "" }, ["node2", "node3"], ["node1"]), undefined);
 * assert.equal(stepNodeLoss({ ...ended, exitCode: 0 }, ["node3"], ["node3"]), undefined);
 * ```
 */
export function stepNodeLoss(
  outcome: ProcessOutcome,
  nodes: readonly string[],
  lost: readonly string[],
): NodeLostError | undefined {
  if (outcome.exitCode === 0 && outcome.signal === null) return undefined;
  const ended = outcome.signal ?? `code ${outcome.exitCode}`;
  const reported = SRUN_NODE_FAILURE.exec(outcome.stderr)?.[1];
  if (reported !== undefined && nodes.includes(reported)) {
    return new NodeLostError(
      reported,
      `Slurm ended the command's step with ${ended} for a failure of that node`,
    );
  }
  const gone = nodes.find((node) => lost.includes(node));
  if (gone !== undefined) {
    return new NodeLostError(gone, `the command's step ended with ${ended} after the node failed`);
  }
  return undefined;
}
