import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { TaskEvent } from "../mod.ts";
import { Emitter } from "../src/emitter.ts";
import { Kernel } from "../src/kernel.ts";
import { MOVES, PHASE } from "../src/phases.ts";
import { TaskFuture } from "../src/task_future.ts";
import { type NodeOwner, TaskNode } from "../src/task_node.ts";

/** A kernel with one fresh task, and the events it emits. */
function kernelWithTask() {
  const emitter = new Emitter();
  const events: TaskEvent[] = [];
  emitter.subscribe((e) => events.push(e));
  const kernel = new Kernel(emitter, false);
  const ready: TaskNode[] = [];
  kernel.scheduler = { ready: (n) => ready.push(n), leave: () => {} };
  const owner: NodeOwner = { cancelNode: () => false, awaitError: () => undefined };
  const node = new TaskNode(
    owner,
    "task.000001",
    "t",
    "function",
    () => 1,
    [],
    false,
    {},
    "main",
    undefined,
  );
  node.future = new TaskFuture("task.000001", "t", "function", "main", node);
  return { kernel, node, events, ready };
}

describe("the kernel and its table of moves", () => {
  it("moves a task through its life, with the future, the counters and one event per move", () => {
    const { kernel, node, events } = kernelWithTask();
    kernel.move(node, MOVES.created, []);
    kernel.move(node, MOVES.resolved);
    kernel.move(node, MOVES.queued, "default");
    kernel.move(node, MOVES.submitted, "default");
    assert.equal(node.future.state, "PENDING");
    kernel.move(node, MOVES.running, "process-1");
    assert.equal(node.future.state, "RUNNING");
    assert.equal(kernel.stats().running, 1);
    kernel.move(node, MOVES.retried, new Error("flaky"), 0);
    assert.deepEqual([node.phase, node.attempt, node.future.state], [PHASE.ready, 2, "PENDING"]);
    kernel.move(node, MOVES.queued, "default");
    kernel.move(node, MOVES.submitted, "default");
    kernel.settle(node, "DONE", 42);
    assert.equal(node.future.value, 42);
    assert.deepEqual(
      events.map((e) => e.type),
      [
        "created",
        "resolved",
        "queued",
        "submitted",
        "running",
        "retried",
        "queued",
        "submitted",
        "done",
      ],
    );
    assert.equal(events[5]!.attempt, 1, "retried names the attempt that failed");
    assert.deepEqual(kernel.stats(), {
      created: 1,
      pending: 0,
      running: 0,
      done: 1,
      failed: 0,
      cancelled: 0,
      retried: 1,
    });
  });

  it("refuses a move the table does not allow, naming the move, the phase and the task", () => {
    const { kernel, node } = kernelWithTask();
    kernel.move(node, MOVES.created, []);
    assert.throws(
      () => kernel.move(node, MOVES.running),
      /no move 'running' from phase 'waiting' \(task\.000001\)/,
    );
    assert.throws(() => kernel.move(node, MOVES.retried, new Error("x"), 0), /no move 'retried'/);
    kernel.settle(node, "CANCELLED", new Error("stop"));
    assert.throws(() => kernel.move(node, MOVES.done, 1, false), /from phase 'cancelled'/);
    assert.equal(node.future.state, "CANCELLED");
  });
});
