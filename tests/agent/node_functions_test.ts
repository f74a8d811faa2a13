/**
 * Function tasks on a node executor, run on this machine as a plain child (standing for a node):
 * results and errors come back as they would from the agent's own Workers, cancelling terminates
 * the call's Worker, results are bounded, and a lost node fails its calls with NodeLostError. The
 * Slurm path is tests/slurm/multinode_node_functions_test.ts.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { executorEntry, NodeExecutor, NodeLostError } from "../../agent/executor/node_executor.ts";
import { NodeExecutors } from "../../agent/executor/node_executors.ts";
import { MAX_RESULT_BYTES } from "../../agent/executor/protocol.ts";
import * as nodeFunctions from "../fixtures/node_functions.ts";
import { fixtures, waitFor } from "./helpers.ts";

const here = new URL("../fixtures/node_functions.ts", import.meta.url).href;
const modules = ["--module", `fx=${fixtures.href}`, "--module", `here=${here}`];
const start = (node = "n1", workers = 2) =>
  NodeExecutor.start(node, [...executorEntry(), ...modules, "--workers", String(workers)]);

describe("function tasks on a node executor", () => {
  it("returns results exactly as JSON carries them, and errors with name, message and stack", async () => {
    const ex = await start();
    try {
      const [sum, whole, none] = await Promise.all([
        ex.call({ module: "fx", export: "add", args: [2, 3] }).exited,
        ex.call({ module: "here", export: "payload", args: [5_000] }).exited,
        ex.call({ module: "here", export: "nothing", args: [] }).exited,
      ]);
      assert.deepEqual(sum, { ok: true, value: 5 });
      assert.equal(whole.ok, true);
      const expected = JSON.stringify(nodeFunctions.payload(5_000));
      assert.equal(JSON.stringify((whole as { value: unknown }).value), expected);
      assert.deepEqual(none, { ok: true, value: undefined });
      const threw = await ex.call({ module: "here", export: "failOnNode", args: ["boom"] }).exited;
      assert.equal(threw.ok, false);
      const error = (threw as { error: { name: string; message: string; stack?: string } }).error;
      assert.equal(error.name, "RangeError");
      assert.equal(error.message, `boom on ${hostname()}`);
      assert.match(error.stack ?? "", /failOnNode/);
      assert.match(error.stack ?? "", /node_functions\.ts/);
      // What the executor cannot run says why, naming the module or the export.
      const unknown = await ex.call({ module: "nope", export: "f", args: [] }).exited;
      assert.match(JSON.stringify(unknown), /unknown module 'nope' \(known: fx, here\)/);
      const missing = await ex.call({ module: "fx", export: "nope", args: [] }).exited;
      assert.match(JSON.stringify(missing), /module 'fx' has no function export 'nope'/);
    } finally {
      await ex.close();
    }
  });

  it("bounds a result: one larger than MAX_RESULT_BYTES fails, saying what to do", async () => {
    const ex = await start();
    try {
      const big = await ex.call({
        module: "here",
        export: "payload",
        args: [MAX_RESULT_BYTES + 1],
      }).exited;
      assert.equal(big.ok, false);
      assert.match(
        (big as { error: { message: string } }).error.message,
        /more than the 16777216 a function run on a node may send back; write large results to a file/,
      );
      // The executor goes on.
      assert.deepEqual(await ex.call({ module: "fx", export: "add", args: [1, 1] }).exited, {
        ok: true,
        value: 2,
      });
    } finally {
      await ex.close();
    }
  });

  it("kill() terminates the call's Worker: a function that never returns stops", async () => {
    const ex = await start();
    const dir = mkdtempSync(join(tmpdir(), "asyncflow-nodefn-"));
    const file = join(dir, "count");
    const count = () => Number(readFileSync(file, "utf8") || 0);
    try {
      const call = ex.call({ module: "here", export: "tick", args: [file] });
      await waitFor(() => existsSync(file) && count() > 0, "the call ticks");
      call.kill();
      const ended = await call.exited;
      assert.equal(ended.ok, false);
      assert.equal((ended as { error: { name: string } }).error.name, "CancelledError");
      // A live Worker would write 30 times in each 300 ms call: the count stays where it was.
      await ex.call({ module: "fx", export: "sleep", args: [300] }).exited;
      const after = count();
      await ex.call({ module: "fx", export: "sleep", args: [300] }).exited;
      assert.equal(count(), after, "the ticking Worker is gone");
    } finally {
      await ex.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a lost node fails its calls with NodeLostError naming it", async () => {
    const ex = await start("node9");
    const call = ex.call({ module: "fx", export: "sleep", args: [60_000] });
    process.kill(ex.executorPid!, "SIGKILL");
    const error = await call.exited.then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof NodeLostError, String(error));
    assert.equal(error.node, "node9");
    await assert.rejects(
      ex.call({ module: "fx", export: "add", args: [1, 2] }).exited,
      NodeLostError,
    );
    await ex.close();
  });

  it("NodeExecutors start the executors with the modules and call on the placed node", async () => {
    const executors = await NodeExecutors.start(["a", "b"], {
      argv: (node) => ["env", `SLURMD_NODENAME=${node}`, ...executorEntry()],
      functions: { modules: new Map([["here", here]]), workers: () => 1 },
    });
    try {
      const on = (node: string) => ({ ranks: [{ node, cores: [0], gpus: [] }] });
      const task = (dir: string, i: number) => ({
        id: `t${i}`,
        kind: "function" as const,
        fn: { module: "here", export: "meetAt" },
        args: [dir, 2, i],
      });
      const dir = mkdtempSync(join(tmpdir(), "asyncflow-nodefn-"));
      const met = await Promise.all(
        ["a", "b"].map((node, i) => executors.call(on(node), task(dir, i))!.exited),
      );
      const nodes = met.map((o) => (o as { value: nodeFunctions.Whereabouts }).value.node);
      assert.deepEqual(nodes, ["a", "b"]);
      assert.equal(executors.call(on("zz"), task(dir, 3)), undefined);
      rmSync(dir, { recursive: true, force: true });
    } finally {
      await executors.close();
    }
  });
});
