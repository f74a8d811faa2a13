import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import process from "node:process";
import { describe, it } from "node:test";
import { killGroups, markedGroups, TASK_MARKER } from "../../agent/task_marker.ts";
import { alive, startTime, waitFor } from "./helpers.ts";

describe("the task marker", () => {
  it("ends a command the journal never named, by the mark in its environment", {
    skip: process.platform === "linux" ? false : "needs Linux /proc",
  }, async () => {
    const mark = `/tmp/agent-${process.pid}-${Date.now()}/sessions/s/7`;
    // A command that started a child and then lost its agent: both in one group, both marked.
    const child = spawn("/bin/sh", ["-c", "sleep 30 & echo $!; wait"], {
      detached: true,
      stdio: ["ignore", "pipe", "ignore"],
      env: { ...process.env, [TASK_MARKER]: mark },
    });
    const grandchild = await new Promise<number>((resolve) =>
      child.stdout!.once("data", (d) => resolve(Number(String(d).trim())))
    );
    const [shell, sleep] = [child.pid!, grandchild];
    const starts = [startTime(shell), startTime(sleep)];
    const other = spawn("sleep", ["30"], { detached: true, stdio: "ignore" });
    try {
      const found = markedGroups();
      assert.equal(found.get(`${mark}0`), undefined, "another task's mark is not this one");
      assert.deepEqual([...found.get(mark) ?? []], [shell], "one process group, led by the shell");
      assert.equal(killGroups(found.get(mark)), 1);
      await waitFor(() => !alive(shell, starts[0]) && !alive(sleep, starts[1]), "the group to end");
      assert.ok(alive(other.pid!), "an unmarked process is left alone");
    } finally {
      other.kill("SIGKILL");
      child.kill("SIGKILL");
    }
  });
});
