import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { LocalBackend, type TaskEvent, WorkflowEngine } from "../mod.ts";

/** An engine on a LocalBackend with these totals, recording its events. */
async function machine(options: ConstructorParameters<typeof LocalBackend>[0]) {
  const flow = await WorkflowEngine.create({ backend: new LocalBackend(options) });
  const events: TaskEvent[] = [];
  flow.subscribe((e) => events.push(e));
  /** `running` and `done` of the named tasks, in order: `+a` started, `-a` ended. */
  const timeline = () =>
    events.filter((e) => e.type === "running" || e.type === "done")
      .map((e) => `${e.type === "running" ? "+" : "-"}${e.name}`);
  return { flow, timeline };
}

describe("LocalBackend: commands run by their resources against the machine", () => {
  it("a 2-core command takes two of the cores: two of them on 2 cores run one after the other", async () => {
    const { flow, timeline } = await machine({ cores: 2 });
    await using _ = flow;
    const big = flow.executableTask(() => "true", { resources: { coresPerRank: 2 } });
    await Promise.all([big.with({ name: "a" })(), big.with({ name: "b" })()]);
    assert.deepEqual(timeline(), ["+a", "-a", "+b", "-b"]);
  });

  it("fills the cores with mixed sizes and counts ranks: 2 + 1 + 1 of 4 at once, the next waits", async () => {
    const { flow, timeline } = await machine({ cores: 4 });
    await using _ = flow;
    const cmd = flow.executableTask(() => "true");
    await Promise.all([
      cmd.with({ name: "two", resources: { ranks: 2 } })(), // 2 ranks × 1 core
      cmd.with({ name: "one" })(),
      cmd.with({ name: "uno" })(),
      cmd.with({ name: "late" })(),
    ]);
    const t = timeline();
    assert.deepEqual(t.slice(0, 3), ["+two", "+one", "+uno"]);
    assert.ok(t.indexOf("+late") > t.findIndex((x) => x.startsWith("-")), t.join(" "));
  });

  it("keeps priority order: a small command does not overtake a big one that waits", async () => {
    const dir = mkdtempSync(join(tmpdir(), "asyncflow-res-"));
    try {
      const { flow, timeline } = await machine({ cores: 2 });
      await using _ = flow;
      const go = join(dir, "go");
      const hold = flow.executableTask(
        () => ["/bin/sh", "-c", `while [ ! -e '${go}' ]; do sleep 0.01; done`],
        { name: "hold" },
      );
      const cmd = flow.executableTask(() => "true");
      const seen = (name: string, type: string) =>
        new Promise<void>((resolve) => {
          const stop = flow.subscribe((e) => {
            if (e.name === name && e.type === type) (stop(), resolve());
          });
        });
      const holding = seen("hold", "running");
      const held = hold();
      await holding; // one core taken until 'go' exists
      const submitted = seen("small", "submitted");
      const big = cmd.with({ name: "big", priority: 5, resources: { coresPerRank: 2 } })();
      const small = cmd.with({ name: "small" })();
      await submitted; // the small one would fit the free core, the big one waits for two
      writeFileSync(go, "");
      await Promise.all([held, big, small]);
      assert.deepEqual(timeline(), ["+hold", "-hold", "+big", "-big", "+small", "-small"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("caps commands at 'processes', whatever their size", async () => {
    const { flow, timeline } = await machine({ cores: 4, processes: 1 });
    await using _ = flow;
    const cmd = flow.executableTask(() => "true");
    await Promise.all([cmd.with({ name: "a" })(), cmd.with({ name: "b" })()]);
    assert.deepEqual(timeline(), ["+a", "-a", "+b", "-b"]);
  });

  it("hands out GPUs by index, sets CUDA_VISIBLE_DEVICES and OMP_NUM_THREADS; the task's env wins", async () => {
    const { flow } = await machine({ cores: 4, gpus: 2 });
    await using _ = flow;
    const show = flow.executableTask(() => 'echo "$CUDA_VISIBLE_DEVICES/$OMP_NUM_THREADS"', {
      resources: { coresPerRank: 2, gpusPerRank: 1 },
    });
    const both = await Promise.all([show(), show()]);
    assert.deepEqual(both.sort(), ["0/2", "1/2"]);
    const own = await show.with({ env: { OMP_NUM_THREADS: "7" } })();
    assert.match(own, /^[01]\/7$/);
  });

  it("fails at once a command asking more than the machine has, naming what and how much", async () => {
    const { flow } = await machine({ cores: 2, gpus: 1 });
    await using _ = flow;
    const solve = flow.executableTask(() => "true", { name: "solve" });
    await assert.rejects(
      solve.with({ resources: { ranks: 2, coresPerRank: 2 } })(),
      (e: unknown) => {
        assert.ok(e instanceof RangeError);
        assert.match(
          e.message,
          /^'solve' \(task\.\d+\) asks for 4 cores, but the machine has 2 \(resources \{"ranks":2,"coresPerRank":2\}; LocalBackend 'default': 2 cores, 1 GPUs\): ask for less, give the LocalBackend more \(\{ cores, gpus \}\), or route it to a backend that has them$/,
        );
        return true;
      },
    );
    await assert.rejects(
      solve.with({ resources: { gpusPerRank: 2 } })(),
      /asks for 2 GPUs, but the machine has 1/,
    );
    assert.equal(await solve.with({ resources: { coresPerRank: 2, gpusPerRank: 1 } })(), "");
  });

  it("knows the machine's cores by default; function tasks take none", async () => {
    const cores = availableParallelism();
    const { flow } = await machine({});
    await using _ = flow;
    const cmd = flow.executableTask(() => "true");
    await assert.rejects(
      cmd.with({ resources: { coresPerRank: cores + 1 } })(),
      new RegExp(`asks for ${cores + 1} cores, but the machine has ${cores}`),
    );
    // More concurrent in-process functions than cores: none waits for a core.
    let open = 0;
    let peak = 0;
    const { promise: gate, resolve: release } = Promise.withResolvers<void>();
    const f = flow.functionTask(async () => {
      peak = Math.max(peak, ++open);
      if (peak === cores + 2) release();
      await gate;
      open--;
    });
    await Promise.all(Array.from({ length: cores + 2 }, () => f()));
    assert.equal(peak, cores + 2);
  });

  it("refuses bad totals with the validators' message", () => {
    assert.throws(
      () => new LocalBackend({ cores: 0 }),
      /^TypeError: LocalBackend: 'cores' must be a positive integer, got number 0$/,
    );
    assert.throws(
      () => new LocalBackend({ gpus: -1 }),
      /^TypeError: LocalBackend: 'gpus' must be an integer >= 0, got number -1$/,
    );
    assert.throws(
      () => new LocalBackend({ processes: 1.5 }),
      /'processes' must be a positive integer, got number 1.5$/,
    );
  });
});
