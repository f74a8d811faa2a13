/**
 * The allocation's end followed while the job runs (its time limit changed by `scontrol update`):
 * the clock moves its drain and cut with the end, acting at once when their time has passed, and
 * the refresher asks again and again, keeping the end it had when asking fails. Here the answers
 * are given; Slurm's own is tests/slurm/multinode_walltime_update_test.ts.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { AllocationClock } from "../../agent/pilot/walltime.ts";
import { WalltimeRefresh } from "../../agent/pilot/walltime_refresh.ts";

const HOUR = 3_600_000;

describe("the allocation's end, followed", () => {
  it("a later end moves the drain and the cut; one already past drains and cuts at once", () => {
    const now = Date.now();
    const seen: string[] = [];
    const clock = new AllocationClock({
      endsAt: now + HOUR,
      drainMarginMs: 60_000,
      cutMarginMs: 10_000,
      onDrain: () => seen.push("drain"),
      onCut: () => seen.push("cut"),
    });
    try {
      assert.equal(clock.setEnd(now + 2 * HOUR), true);
      assert.deepEqual([clock.drainsAt, clock.cutsAt], [
        now + 2 * HOUR - 60_000,
        now + 2 * HOUR - 10_000,
      ]);
      assert.equal(clock.setEnd(now + 2 * HOUR), false, "the same end is no change");
      assert.deepEqual(seen, []);
      // Shortened to 30 s from now: past the drain (60 s before the end), not yet the cut.
      clock.setEnd(now + 30_000);
      assert.deepEqual(seen, ["drain"]);
      assert.equal(clock.draining, true);
      assert.equal(clock.refusal("t", undefined)?.state, "cancelled");
      clock.setEnd(now + 5_000); // past the cut too
      assert.deepEqual(seen, ["drain", "cut"]);
    } finally {
      clock.close();
    }
  });

  it("asks every everyMs, moves the clock, and keeps its end when asking fails", async () => {
    const start = Date.now() + HOUR;
    const clock = new AllocationClock({ endsAt: start, onDrain() {}, onCut() {} });
    const answers: (() => number)[] = [
      () => start,
      () => {
        throw new Error("squeue: slurm_load_jobs error: Socket timed out");
      },
      () => start + HOUR,
    ];
    const moved = Promise.withResolvers<[number, number]>();
    const problems: string[] = [];
    let asked = 0;
    const refresh = new WalltimeRefresh(clock, {
      read: () => Promise.resolve().then(() => answers[Math.min(asked++, 2)]!()),
      everyMs: 10,
      onChange: (endsAt, before) => moved.resolve([endsAt, before]),
      onProblem: (why) => problems.push(why),
    });
    try {
      assert.deepEqual(await moved.promise, [start + HOUR, start], "the third answer moved it");
      assert.equal(clock.endsAt, start + HOUR);
      assert.match(
        problems[0] ?? "",
        /cannot learn the allocation's end: squeue: .*Socket timed out/,
      );
      // On demand too; the end it gives is the clock's.
      assert.equal(await refresh.refresh(), start + HOUR);
    } finally {
      refresh.close();
      clock.close();
    }
  });
});
