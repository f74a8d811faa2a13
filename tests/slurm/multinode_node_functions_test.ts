/**
 * Function tasks on every node of a 3-node pilot: the agent's scheduler places them on the nodes'
 * cores and each node's executor runs them on Workers of its own. Six calls that meet at a barrier
 * land two on each node (their result, the running event's `where` and the record's `host` agree
 * on it); an exception comes back with its name, message and stack; a call that never returns is
 * cancelled and its Worker stops; results, inline and by reference, equal byte for byte what the
 * same function returns here.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CancelledError, type TaskEvent, WorkflowEngine } from "../../mod.ts";
import { RemoteBackend } from "../../backends/remote/mod.ts";
import * as nodefx from "../fixtures/node_functions.ts";
import { asyncflow, multinodeMode, multinodeSkipReason, until } from "./_multinode.ts";

const skip = multinodeSkipReason();
if (skip) console.log(`SKIP function tasks on the nodes: ${skip}`);
const fixtures = new URL("../fixtures/node_functions.ts", import.meta.url);

describe(
  skip ? `function tasks on the nodes (skipped: ${skip})` : "function tasks on the nodes",
  () => {
    let work = "";
    let flow: WorkflowEngine | undefined;
    const events: TaskEvent[] = [];
    before(async () => {
      if (skip) return;
      work = mkdtempSync(join(tmpdir(), "asyncflow-mn-nodefn-"));
      const pilotDir = join(work, "pilot");
      await asyncflow([
        ...["pilot", "submit", "--dir", pilotDir, "--nodes", "3", "--walltime", "5"],
        ...["--job-name", "asyncflow-mn-nodefn", "--module", `nodefx=${fileURLToPath(fixtures)}`],
        ...["--wait", "--timeout", "90"],
      ], 100_000);
      flow = await WorkflowEngine.create({
        backend: RemoteBackend.fromEndpointFile(join(pilotDir, "endpoint.json"), {
          modules: { nodefx: fixtures },
        }),
      });
      flow.subscribe((e) => events.push(e));
    });
    after(async () => {
      if (skip) return;
      await flow?.shutdown();
      await asyncflow(["pilot", "cancel", join(work, "pilot")]).catch(() => {});
      rmSync(work, { recursive: true, force: true });
    });

    it(
      "places six calls two per node; where, host and the result agree",
      { skip, timeout: 60_000 },
      async () => {
        const dir = join(work, "meet");
        mkdirSync(dir);
        const meet = flow!.functionTask(nodefx.meetAt);
        const futures = [0, 1, 2, 3, 4, 5].map((i) => meet(dir, 6, i));
        const met = await Promise.all(futures);
        assert.deepEqual(
          met.map((w) => w.node).sort(),
          ["node1", "node1", "node2", "node2", "node3", "node3"],
        );
        if (multinodeMode() === "netns") {
          assert.deepEqual(met.map((w) => w.host), met.map((w) => w.node));
        }
        // One executor per node: the calls of a node share its process.
        const pids = new Map(met.map((w) => [w.node, new Set<number>()]));
        for (const w of met) {
          pids.get(w.node)!.add(w.pid);
        }
        assert.deepEqual([...pids.values()].map((p) => p.size), [1, 1, 1]);
        futures.forEach((f, i) => {
          const running = events.find((e) => e.uid === f.uid && e.type === "running");
          const done = events.find((e) => e.uid === f.uid && e.type === "done");
          assert.equal(running?.where, met[i]!.node, "the running event says where");
          assert.equal(done?.record?.host, met[i]!.node, "the record says where");
        });
      },
    );

    it(
      "brings an exception back with its name, message and stack",
      { skip, timeout: 30_000 },
      async () => {
        const fail = flow!.functionTask(nodefx.failOnNode);
        const f = fail("boom");
        const error = await f.then(() => undefined, (e: unknown) => e as Error);
        assert.ok(error instanceof Error, String(error));
        assert.equal(error.name, "RangeError");
        assert.match(error.message, /^boom on \S+$/);
        assert.match(error.stack ?? "", /failOnNode/);
        assert.match(error.stack ?? "", /node_functions\.ts/);
        const host = events.find((e) => e.uid === f.uid && e.type === "failed")?.record?.host;
        assert.match(host ?? "", /^node[123]$/);
        if (multinodeMode() === "netns") assert.equal(error.message, `boom on ${host}`);
      },
    );

    it(
      "cancels a call that never returns: its Worker stops",
      { skip, timeout: 30_000 },
      async () => {
        const file = join(work, "ticks");
        const tick = flow!.functionTask(nodefx.tick);
        const pause = flow!.functionTask(nodefx.pause);
        const count = () => Number(readFileSync(file, "utf8") || 0);
        const f = tick(file);
        await until(() => existsSync(file) && count() > 0, "the call ticks", 20_000);
        f.cancel();
        await assert.rejects(f, CancelledError);
        // A live Worker writes 30 times in each 300 ms pause: the count stays where it was.
        await pause(300);
        const stopped = count();
        await pause(300);
        assert.equal(count(), stopped, "the ticking Worker is gone");
      },
    );

    it(
      "returns results byte for byte, inline and by reference",
      { skip, timeout: 30_000 },
      async () => {
        const payload = flow!.functionTask(nodefx.payload);
        const nothing = flow!.functionTask(nodefx.nothing);
        // 1 000 characters travel in the event; 100 000 (> 64 KiB) by reference, fetched.
        const [small, large, none] = await Promise.all([
          payload(1_000),
          payload(100_000),
          nothing(),
        ]);
        assert.equal(JSON.stringify(small), JSON.stringify(nodefx.payload(1_000)));
        assert.equal(JSON.stringify(large), JSON.stringify(nodefx.payload(100_000)));
        assert.equal(none, undefined);
      },
    );
  },
);
