import type { Kernel } from "./kernel.ts";
import { describe } from "./validate.ts";
import type { TaskNode } from "./task_node.ts";
import { callInTaskContext } from "./task_context.ts";
import { isThenable } from "./thenable.ts";

/**
 * Runs an executable's body (with its resolved arguments) to get its command,
 * checks the command, and hands it on; a body that throws or returns no
 * usable command fails the task, naming what was wrong.
 *
 * @param queue Called with the task once `node.command` is set.
 */
export function buildCommand(
  kernel: Kernel,
  node: TaskNode,
  queue: (node: TaskNode) => void,
): void {
  let built: unknown;
  try {
    // No task context here: the body may run inside another task's synchronous code.
    built = callInTaskContext(undefined, node.fn!, node.args);
  } catch (error) {
    kernel.settle(node, "FAILED", error);
    return;
  }
  const accept = (command: unknown) => {
    if (node.settled) return;
    const problem = commandProblem(command);
    if (problem) {
      kernel.settle(
        node,
        "FAILED",
        new TypeError(`Executable task '${node.name}' (${node.uid}): ${problem}`),
      );
      return;
    }
    node.command = command as string | readonly string[];
    queue(node);
  };
  if (isThenable(built)) {
    built.then(accept, (error) => !node.settled && kernel.settle(node, "FAILED", error));
  } else accept(built);
}

/** What is wrong with a command an executable body returned, or `undefined`. */
export function commandProblem(command: unknown): string | undefined {
  if (typeof command === "string") {
    return command.trim() === "" ? "its body returned an empty command" : undefined;
  }
  if (Array.isArray(command)) {
    if (command.length === 0) return "its body returned an empty argv array";
    const bad = command.findIndex((a) => typeof a !== "string");
    if (bad >= 0) return `argv[${bad}] must be a string, got ${describe(command[bad])}`;
    if (command[0] === "") return "argv[0] (the program) is empty";
    return undefined;
  }
  return `its body must return a command string or an argv array, got ${describe(command)}`;
}
