import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Allocation } from "../../agent/placement/allocation.ts";
import { type Placement, SlotScheduler } from "../../agent/placement/scheduler.ts";

const alloc = (...nodes: [string, number, number][]): Allocation => ({
  source: "flags",
  nodes: nodes.map(([name, cores, gpus]) => ({ name, cores, gpus })),
});
const req = (ranks: number, coresPerRank = 1, gpusPerRank = 0) => ({
  ranks,
  coresPerRank,
  gpusPerRank,
});

/** Every (node, core) and (node, gpu) appears at most once across the placements. */
function assertDisjoint(placements: Placement[]): void {
  const seen = new Set<string>();
  for (const p of placements) {
    for (const r of p.ranks) {
      for (const c of r.cores) {
        assert.ok(!seen.has(`${r.node}/c${c}`), `core ${c} on ${r.node} is shared`);
        seen.add(`${r.node}/c${c}`);
      }
      for (const g of r.gpus) {
        assert.ok(!seen.has(`${r.node}/g${g}`), `GPU ${g} on ${r.node} is shared`);
        seen.add(`${r.node}/g${g}`);
      }
    }
  }
}

describe("SlotScheduler", () => {
  it("places first-fit with the lowest free cores", () => {
    const s = new SlotScheduler(alloc(["n1", 4, 0], ["n2", 4, 0]));
    assert.deepEqual(s.place(req(1, 2)), { ranks: [{ node: "n1", cores: [0, 1], gpus: [] }] });
    assert.deepEqual(s.place(req(1, 1)), { ranks: [{ node: "n1", cores: [2], gpus: [] }] });
    // 2 cores do not fit on n1 any more (1 left): n2.
    assert.deepEqual(s.place(req(1, 2)), { ranks: [{ node: "n2", cores: [0, 1], gpus: [] }] });
    assert.deepEqual(s.free, { cores: 3, gpus: 0 });
  });

  it("returns undefined when the request must wait, and places it after a release", () => {
    const s = new SlotScheduler(alloc(["n1", 2, 0]));
    const a = s.place(req(2));
    assert.ok(a);
    assert.equal(s.place(req(1)), undefined);
    assert.deepEqual(s.free, { cores: 0, gpus: 0 });
    s.release(a);
    assert.deepEqual(s.free, { cores: 2, gpus: 0 });
    assert.deepEqual(s.place(req(1))?.ranks, [{ node: "n1", cores: [0], gpus: [] }]);
  });

  it("reuses released cores in the middle", () => {
    const s = new SlotScheduler(alloc(["n1", 3, 0]));
    const [a, b, c] = [s.place(req(1)), s.place(req(1)), s.place(req(1))];
    assert.ok(a && b && c);
    s.release(b);
    assert.deepEqual(s.place(req(1))?.ranks[0]?.cores, [1]);
  });

  it("spreads the ranks of one task over nodes, never splitting a rank", () => {
    const s = new SlotScheduler(alloc(["n1", 3, 0], ["n2", 4, 0]));
    const p = s.place(req(3, 2));
    assert.deepEqual(p?.ranks, [
      { node: "n1", cores: [0, 1], gpus: [] },
      { node: "n2", cores: [0, 1], gpus: [] },
      { node: "n2", cores: [2, 3], gpus: [] },
    ]);
    assert.deepEqual(s.free, { cores: 1, gpus: 0 });
  });

  it("is all or nothing: a request that does not fit takes nothing", () => {
    const s = new SlotScheduler(alloc(["n1", 2, 0], ["n2", 2, 0]));
    const a = s.place(req(1, 1));
    assert.ok(a);
    // 3 free cores, but only 1 rank of 2 cores fits (on n2): waits, takes nothing.
    assert.equal(s.place(req(2, 2)), undefined);
    assert.deepEqual(s.free, { cores: 3, gpus: 0 });
    assert.deepEqual(s.place(req(3, 1))?.ranks.map((r) => r.node), ["n1", "n2", "n2"]);
  });

  it("places GPUs with cores on the same node", () => {
    const s = new SlotScheduler(alloc(["cpu", 8, 0], ["g1", 8, 2], ["g2", 8, 2]));
    const p = s.place(req(3, 2, 1));
    assert.deepEqual(p?.ranks, [
      { node: "g1", cores: [0, 1], gpus: [0] },
      { node: "g1", cores: [2, 3], gpus: [1] },
      { node: "g2", cores: [0, 1], gpus: [0] },
    ]);
    assert.deepEqual(s.free, { cores: 18, gpus: 1 });
    assert.equal(s.place(req(1, 1, 2)), undefined);
    const q = s.place(req(1, 1, 1));
    assert.deepEqual(q?.ranks, [{ node: "g2", cores: [2], gpus: [1] }]);
    // CPU-only work still runs on the CPU node.
    assert.deepEqual(s.place(req(1, 8))?.ranks[0]?.node, "cpu");
  });

  it("never shares a core or GPU under churn", () => {
    const s = new SlotScheduler(alloc(["a", 5, 2], ["b", 3, 1], ["c", 7, 0]));
    const live: Placement[] = [];
    let seed = 7;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    for (let step = 0; step < 2000; step++) {
      if (live.length > 0 && rand(3) === 0) {
        s.release(live.splice(rand(live.length), 1)[0] as Placement);
      } else {
        const p = s.place(req(1 + rand(3), 1 + rand(3), rand(2)));
        if (p) live.push(p);
      }
      assertDisjoint(live);
    }
    for (const p of live.splice(0)) s.release(p);
    assert.deepEqual(s.free, { cores: 15, gpus: 3 });
  });

  it("throws RangeError naming what can never fit", () => {
    const s = new SlotScheduler(alloc(["n1", 4, 2], ["n2", 2, 0]));
    assert.throws(() => s.place(req(1, 1, 3)), {
      name: "RangeError",
      message: "needs 3 GPUs per rank; the largest node has 2",
    });
    assert.throws(() => s.place(req(1, 5)), {
      message: "needs 5 cores per rank; the largest node has 4",
    });
    assert.throws(() => s.place(req(4, 2)), {
      message:
        "needs 4 ranks of 2 cores and 0 GPUs; the allocation of 2 nodes holds at most 3 such ranks",
    });
    // Impossible even while busy: the check does not depend on what is free.
    const busy = s.place(req(6));
    assert.ok(busy);
    assert.throws(() => s.place(req(1, 1, 3)), /needs 3 GPUs per rank/);
    assert.equal(s.place(req(1, 4)), undefined);
  });

  it("rejects malformed requests and allocations", () => {
    const s = new SlotScheduler(alloc(["n1", 4, 0]));
    assert.throws(() => s.place(req(0)), /'ranks' must be a positive integer, got 0/);
    assert.throws(() => s.place(req(1, 0)), /'coresPerRank' must be a positive integer, got 0/);
    assert.throws(() => s.place(req(1, 1, -1)), /'gpusPerRank' must be a non-negative integer/);
    assert.throws(() => s.place(req(1.5)), RangeError);
    assert.throws(() => new SlotScheduler(alloc()), /the allocation has no nodes/);
    assert.throws(() => new SlotScheduler(alloc(["a", 1, 0], ["a", 1, 0])), /'a' appears twice/);
    assert.throws(() => new SlotScheduler(alloc(["a", -1, 0])), /non-negative integer of cores/);
  });

  it("refuses a double release and an unknown node, releasing nothing", () => {
    const s = new SlotScheduler(alloc(["n1", 2, 0]));
    const p = s.place(req(1));
    assert.ok(p);
    s.release(p);
    assert.throws(() => s.release(p), /core 0 on node 'n1' is not taken/);
    assert.throws(
      () => s.release({ ranks: [{ node: "zz", cores: [0], gpus: [] }] }),
      /unknown node 'zz'/,
    );
    assert.deepEqual(s.free, { cores: 2, gpus: 0 });
  });

  it("places nothing more on a disabled (lost) node, and still takes back what ran there", () => {
    const s = new SlotScheduler(alloc(["n1", 2, 0], ["n2", 2, 0], ["n3", 2, 1]));
    const onN1 = s.place(req(2, 1));
    const onN3 = s.place(req(1, 1, 1));
    assert.deepEqual(onN1?.ranks.map((r) => r.node), ["n1", "n1"]);
    assert.deepEqual(onN3?.ranks.map((r) => r.node), ["n3"]);
    s.disable("n3");
    s.disable("n3"); // twice is once
    assert.deepEqual(s.disabled, ["n3"]);
    assert.deepEqual(s.free, { cores: 2, gpus: 0 }, "n2 only");
    assert.deepEqual(s.place(req(2))?.ranks.map((r) => r.node), ["n2", "n2"]);
    s.release(onN3!);
    assert.deepEqual(s.free, { cores: 0, gpus: 0 }, "n3's freed slots are not offered");
    // What only the lost node could hold names it; what no node could ever hold does not.
    assert.throws(
      () => s.place(req(1, 1, 1)),
      /needs 1 GPU per rank; the largest node has 0; it could run only with the lost node n3,/,
    );
    assert.throws(
      () => s.place(req(5)),
      /allocation of 2 nodes holds at most 4 such ranks; it could run only with the lost node n3/,
    );
    assert.throws(
      () => s.place(req(1, 3)),
      (e: Error) => /needs 3 cores per rank; the largest node has 2$/.test(e.message),
    );
    s.disable("n1");
    s.disable("n2");
    assert.throws(() => s.place(req(1)), /every node of the allocation was lost \(n3, n1, n2\)/);
    assert.throws(() => s.disable("zz"), /cannot disable unknown node 'zz'/);
  });

  it("places on a large allocation quickly", () => {
    const nodes: [string, number, number][] = [];
    for (let i = 0; i < 1000; i++) nodes.push([`n${i}`, 64, 4]);
    const s = new SlotScheduler(alloc(...nodes));
    const t0 = performance.now();
    const ps: Placement[] = [];
    // Fills the allocation exactly: 1000 placements of 16 ranks × 4 cores, a quarter with GPUs.
    for (let i = 0; i < 1000; i++) {
      const p = s.place(req(16, 4, i % 4 === 0 ? 1 : 0));
      assert.ok(p, `placement ${i} must fit`);
      ps.push(p);
    }
    assert.deepEqual(s.free, { cores: 0, gpus: 0 });
    for (const p of ps) s.release(p);
    assert.ok(performance.now() - t0 < 5000, "generous bound for 16,000 ranks over 1000 nodes");
    assert.deepEqual(s.free, { cores: 64000, gpus: 4000 });
  });
});
