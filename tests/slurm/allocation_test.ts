import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { hostname } from "node:os";
import { allocationFromEnv, localAllocation } from "../../agent/placement/allocation.ts";
import { expandHostList } from "../../agent/placement/hostlist.ts";

describe("expandHostList()", () => {
  const cases: [string, string[]][] = [
    ["localhost", ["localhost"]],
    ["a,b,c", ["a", "b", "c"]],
    ["nid[001-003,007]", ["nid001", "nid002", "nid003", "nid007"]],
    ["n[8-11]", ["n8", "n9", "n10", "n11"]],
    ["n[08-10]", ["n08", "n09", "n10"]],
    ["n[1]", ["n1"]],
    ["login1,nid[01-02],gpu[3,5]", ["login1", "nid01", "nid02", "gpu3", "gpu5"]],
    ["rack[1-2]-n[01-02]", ["rack1-n01", "rack1-n02", "rack2-n01", "rack2-n02"]],
    ["node-[1-2]-ib", ["node-1-ib", "node-2-ib"]],
    [" a , b ", ["a", "b"]],
    ["", []],
  ];
  for (const [list, hosts] of cases) {
    it(`expands '${list}'`, () => assert.deepEqual(expandHostList(list), hosts));
  }

  it("rejects malformed lists, naming the list", () => {
    for (const bad of ["n[1-2", "n1-2]", "n[2-1]", "n[a-b]", "a,,b", "n[[1]]", "n[]"]) {
      assert.throws(() => expandHostList(bad), (e: Error) => {
        assert.ok(e instanceof SyntaxError, bad);
        assert.match(e.message, /host list/);
        return true;
      });
    }
  });
});

describe("allocationFromEnv()", () => {
  it("is undefined outside Slurm", () => {
    assert.equal(allocationFromEnv({}), undefined);
    assert.equal(allocationFromEnv({ SLURM_JOB_NODELIST: "" }), undefined);
  });

  it("reads the environment of the single-node test cluster", () => {
    // As printed by `env` in an `sbatch --exclusive` job on the 2-CPU CI machine.
    const a = allocationFromEnv({
      SLURM_JOB_NODELIST: "localhost",
      SLURM_CPUS_ON_NODE: "2",
      SLURM_JOB_CPUS_PER_NODE: "2",
    });
    assert.deepEqual(a, { source: "slurm", nodes: [{ name: "localhost", cores: 2, gpus: 0 }] });
  });

  it("expands run-length cores per node in node order", () => {
    const a = allocationFromEnv({
      SLURM_JOB_NODELIST: "nid[001-003]",
      SLURM_JOB_CPUS_PER_NODE: "4(x2),2",
    });
    assert.deepEqual(a?.nodes.map((n) => [n.name, n.cores]), [
      ["nid001", 4],
      ["nid002", 4],
      ["nid003", 2],
    ]);
  });

  it("falls back to SLURM_NODELIST and SLURM_CPUS_ON_NODE", () => {
    const a = allocationFromEnv({ SLURM_NODELIST: "c[1-2]", SLURM_CPUS_ON_NODE: "8" });
    assert.deepEqual(a?.nodes.map((n) => n.cores), [8, 8]);
  });

  it("reads GPUs from SLURM_GPUS_ON_NODE, SLURM_JOB_GPUS or SLURM_GPUS_PER_NODE", () => {
    const base = { SLURM_JOB_NODELIST: "g[1-2]", SLURM_JOB_CPUS_PER_NODE: "16(x2)" };
    const gpus = (extra: Record<string, string>) =>
      allocationFromEnv({ ...base, ...extra })?.nodes.map((n) => n.gpus);
    assert.deepEqual(gpus({ SLURM_GPUS_ON_NODE: "4", SLURM_JOB_GPUS: "0,1" }), [4, 4]);
    assert.deepEqual(gpus({ SLURM_JOB_GPUS: "2,3" }), [2, 2]);
    assert.deepEqual(gpus({ SLURM_GPUS_PER_NODE: "a100:2" }), [2, 2]);
    assert.deepEqual(gpus({ SLURM_GPUS_PER_NODE: "3" }), [3, 3]);
    assert.deepEqual(gpus({}), [0, 0]);
  });

  it("rejects counts that do not match the node list", () => {
    assert.throws(
      () => allocationFromEnv({ SLURM_JOB_NODELIST: "n[1-3]", SLURM_JOB_CPUS_PER_NODE: "4(x2)" }),
      /describes 2 nodes, but the node list has 3/,
    );
    assert.throws(
      () => allocationFromEnv({ SLURM_JOB_NODELIST: "n1", SLURM_JOB_CPUS_PER_NODE: "four" }),
      /SLURM_JOB_CPUS_PER_NODE has a bad entry 'four'/,
    );
    assert.throws(
      () => allocationFromEnv({ SLURM_JOB_NODELIST: "n1", SLURM_GPUS_ON_NODE: "x" }),
      /SLURM_GPUS_ON_NODE must be a count, got 'x'/,
    );
  });
});

describe("localAllocation()", () => {
  it("describes this host", () => {
    assert.deepEqual(localAllocation(3, 1), {
      source: "local",
      nodes: [{ name: hostname(), cores: 3, gpus: 1 }],
    });
    const a = localAllocation();
    assert.ok((a.nodes[0]?.cores ?? 0) >= 1);
    assert.equal(a.nodes[0]?.gpus, 0);
  });

  it("rejects bad counts", () => {
    assert.throws(() => localAllocation(0), /'cores' must be a positive integer, got 0/);
    assert.throws(() => localAllocation(2, -1), /'gpus' must be a non-negative integer, got -1/);
    assert.throws(() => localAllocation(1.5), RangeError);
  });
});
