// Runs the examples as users do, on the runtime running the tests, and checks their output.
// Time bounds are generous upper bounds that prove concurrency, not benchmarks.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { runtime } from "../src/host/runtime.ts";

function runExample(name: string): Promise<{ code: number | null; out: string; seconds: number }> {
  const file = fileURLToPath(new URL(`../examples/${name}`, import.meta.url));
  const deno = runtime === "deno";
  const t0 = performance.now();
  const child = spawn(process.execPath, deno ? ["run", "-A", file] : [file], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  return new Promise((resolve) =>
    child.on("close", (code) => resolve({ code, out, seconds: (performance.now() - t0) / 1000 }))
  );
}

describe("examples", () => {
  it("campaigns.ts: three campaigns of four 0.5 s steps run concurrently", async () => {
    const { code, out, seconds } = await runExample("campaigns.ts");
    assert.equal(code, 0, out);
    for (const c of ["A", "B", "C"]) {
      for (let s = 1; s <= 4; s++) {
        assert.match(out, new RegExp(`\\[\\d+\\.\\d{2}\\] Campaign ${c} - Step ${s} started`));
        assert.match(out, new RegExp(`Campaign ${c} - Step ${s} completed`));
      }
      assert.match(out, new RegExp(`Campaign ${c} completed at`));
    }
    const total = Number(/Total time running asynchronously is: ([\d.]+)s/.exec(out)![1]);
    assert.ok(total >= 2.0 && total < 3.5, `ideal 2.0 s, serial 6.0 s; took ${total} s`);
    assert.ok(seconds < 30);
  });

  it("workflow_of_campaigns.ts: tier 2 and Campaign D start only after their upstream campaigns", async () => {
    const { code, out } = await runExample("workflow_of_campaigns.ts");
    assert.equal(code, 0, out);
    const lines = out.split("\n");
    const at = (text: string) => lines.findIndex((l) => l.includes(text));
    for (
      const [down, ups] of [["A2", ["A1"]], ["B2", ["B1"]], ["C2", ["C1"]], ["D", [
        "A1",
        "B1",
      ]]] as const
    ) {
      for (const up of ups) {
        assert.ok(
          at(`Campaign ${up} completed`) >= 0 &&
            at(`Campaign ${up} completed`) < at(`Campaign ${down} - Step 1 started`),
          `${down} after ${up}`,
        );
      }
    }
    const total = Number(/Total time running asynchronously is: ([\d.]+)s/.exec(out)![1]);
    assert.ok(total >= 4.0 && total < 5.5, `ideal 4.0 s; took ${total} s`);
  });

  it("binary_files.ts: binary inputs staged to an agent come back, compressed, intact", async () => {
    const { code, out } = await runExample("binary_files.ts");
    assert.equal(code, 0, out);
    assert.match(out, /^4 blocks of 1 MiB compressed on the agent and fetched back intact$/m);
  });

  it("pipeline.ts, fan_out_fan_in.ts and failures.ts print their results", async () => {
    const [pipeline, fan, failures] = await Promise.all(
      ["pipeline.ts", "fan_out_fan_in.ts", "failures.ts"].map(runExample),
    );
    assert.equal(pipeline!.code, 0, pipeline!.out);
    assert.match(pipeline!.out, /sum of squares 1\.\.5 = 55/);
    assert.equal(fan!.code, 0, fan!.out);
    assert.match(fan!.out, /mean of 1000 samples: 0\.\d{4}/);
    assert.equal(failures!.code, 0, failures!.out);
    assert.match(failures!.out, /1\. flaky call -> \[ 1, 2, 3 \]/);
    assert.match(failures!.out, /2\. hung command -> '[^']+' \(task\.\d+\) timed out after 300 ms/);
    assert.match(failures!.out, /root cause: SyntaxError: not a number: 'forty-two'/);
    assert.match(failures!.out, /4\. branches -> \[ 2, "failed: not a number: 'oops'", 6 \]/);
  });
});
