import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { WorkflowEngine } from "../mod.ts";
import { ManualBackend } from "./fixtures/manual_backend.ts";

describe("task.with(options)", () => {
  it("overrides the definition's resources key by key", async () => {
    const backend = new ManualBackend();
    await using flow = await WorkflowEngine.create({ backend });
    const sim = flow.executableTask(() => ["./simulate"], {
      name: "sim",
      resources: { ranks: 8, coresPerRank: 2 },
    });
    const small = sim.with({ resources: { ranks: 4 } });
    assert.deepEqual(small.options.resources, { ranks: 4, coresPerRank: 2 });
    const f = small.with({ resources: { gpusPerRank: 1 } })();
    await backend.waitForSubmitted(1);
    assert.deepEqual(backend.spec("sim").resources, { ranks: 4, coresPerRank: 2, gpusPerRank: 1 });
    assert.deepEqual(sim.options.resources, { ranks: 8, coresPerRank: 2 }, "definition untouched");
    backend.finish("sim", "");
    await f;
  });

  it("overrides the definition's env variable by variable", async () => {
    await using flow = await WorkflowEngine.create();
    const show = flow.executableTask(() => 'echo "$AF_A $AF_B"', { env: { AF_A: "a", AF_B: "b" } });
    assert.equal(await show.with({ env: { AF_B: "B" } })(), "a B");
    assert.equal(await show(), "a b");
  });
});
