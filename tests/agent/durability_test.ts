/**
 * Durability is honest: on a full disk nothing is acknowledged that is not written, a batch is
 * all or nothing, and the agent keeps serving; a restart keeps every event's number whatever
 * was torn, refuses a cursor ahead of its log and starts despite lines it cannot use.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import process from "node:process";
import { startAgent } from "../../agent/mod.ts";
import { call, fillDisk, fixtures, openSession, readEvents, smallDisk } from "./helpers.ts";

const notRoot = process.getuid?.() !== 0 && "mounting a small tmpfs needs root";
const command = (id: string, cmd: string) => ({ id, kind: "executable", command: cmd });

describe("agent durability", () => {
  it(
    "on a full disk answers 507 and records nothing of the batch; the same request succeeds once there is space",
    {
      skip: notRoot,
    },
    async () => {
      const disk = smallDisk(512)!;
      try {
        await using agent = await startAgent({ dir: disk.dir, cores: 2, modules: { fixtures } });
        const sid = await openSession(agent);
        const full = fillDisk(disk.dir);
        const batch = {
          // More than a page: a full tmpfs still takes a few bytes into the last page's slack.
          tasks: Array.from({ length: 200 }, (_, i) => command(`t${i}`, "true")),
        };
        const refused = await call(agent, "POST", `/v1/sessions/${sid}/tasks`, batch);
        assert.equal(refused.status, 507);
        assert.equal(refused.body.error.code, "insufficient_storage");
        assert.match(refused.body.error.message, /disk is full/);
        assert.equal((await call(agent, "GET", `/v1/sessions/${sid}/tasks`)).body.total, 0);
        const metrics = await call(agent, "GET", "/v1/metrics");
        assert.equal(metrics.body.journal.ok, false);
        full.free();
        const retried = await call(agent, "POST", `/v1/sessions/${sid}/tasks`, batch);
        assert.equal(retried.status, 200);
        assert.deepEqual(
          new Set(retried.body.results.map((r: { status: string }) => r.status)),
          new Set(["accepted"]),
        );
        const events = await readEvents(
          agent,
          sid,
          0,
          (es) => es.filter((e) => e.state === "done").length === 200,
        );
        assert.equal(events.filter((e) => e.state === "done").length, 200);
      } finally {
        disk.unmount();
      }
    },
  );

  it(
    "fails a command whose output cannot be written on a full disk, with the reason, and goes on",
    {
      skip: notRoot,
    },
    async () => {
      const disk = smallDisk(512)!;
      try {
        await using agent = await startAgent({ dir: disk.dir, cores: 2, modules: { fixtures } });
        const sid = await openSession(agent);
        const go = `${mkdtempSync(`${tmpdir()}/asyncflow-go-`)}/go`;
        // It prints once the disk is full: its output is written when it exits.
        const print =
          `while [ ! -e ${go} ]; do sleep 0.02; done; head -c 300000 /dev/zero | tr '\\0' a`;
        const r = await call(agent, "POST", `/v1/sessions/${sid}/tasks`, {
          tasks: [command("big", print)],
        });
        assert.equal(r.status, 200);
        const full = fillDisk(disk.dir);
        writeFileSync(go, "");
        const events = await readEvents(
          agent,
          sid,
          0,
          (es) => es.some((e) => e.state === "failed" || e.state === "done"),
        );
        full.free();
        const end = events.find((e) => e.id === "big" && e.state !== "running");
        assert.equal(end?.state, "failed");
        assert.match(
          end!.error!.message,
          /cannot write the command's output to .*\.stdout: .*disk is full|no space/i,
        );
        const after = await call(agent, "POST", `/v1/sessions/${sid}/tasks`, {
          tasks: [command("small", "echo ok")],
        });
        assert.equal(after.body.results[0].status, "accepted");
      } finally {
        disk.unmount();
      }
    },
  );

  it("keeps event numbers across a torn journal line, refuses a cursor ahead of its log, and skips lines it cannot use", async () => {
    const dir = mkdtempSync(`${tmpdir()}/asyncflow-torn-`);
    const sid = "a".repeat(32);
    const ev = (seq: number, id: string, state: string) =>
      JSON.stringify({ t: "ev", sid, e: { seq, id, state, time: 0 } });
    writeFileSync(
      `${dir}/journal.jsonl`,
      [
        JSON.stringify({ t: "open", sid, client: "c", hb: 60_000, at: 0 }),
        JSON.stringify({ t: "task", sid, n: 1, task: command("t1", "sleep 30") }),
        JSON.stringify({ t: "task", sid, n: 2, task: command("t2", "true") }),
        ev(1, "t1", "running"),
        '{"t":"ev","sid":"' + sid + '","e":{"seq":2,"id":"t2","sta', // torn: seq 2 is lost
        ev(3, "t2", "done"),
        JSON.stringify({ t: "task", sid, n: "three", task: {} }), // wrong shape
        "[1,2,3]",
        JSON.stringify({ t: "teleport", sid }),
      ].join("\n") + "\n",
    );
    await using agent = await startAgent({ dir, cores: 1 });
    // A client that had seen 1..3 gets the lost event of t1 as 4, not under a number it saw.
    const events = await readEvents(agent, sid, 3, (es) => es.length > 0);
    assert.deepEqual(events.map((e) => [e.seq, e.id, e.state]), [[4, "t1", "lost"]]);
    const all = await call(agent, "GET", `/v1/sessions/${sid}/events?after=0&wait=0`);
    assert.deepEqual(all.body.events.map((e: { seq: number }) => e.seq), [1, 3, 4]);
    const ahead = await call(agent, "GET", `/v1/sessions/${sid}/events?after=9&wait=0`);
    assert.equal(ahead.status, 409);
    assert.equal(ahead.body.error.code, "cursor_ahead");
  });
});
