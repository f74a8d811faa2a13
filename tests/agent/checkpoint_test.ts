/**
 * A live session's journal is checkpointed while the session runs: once the journal has grown by
 * `journalCompactBytes`, each finished task's lines come to one `fin` line, so the journal
 * follows what the session still needs; a restart on it restores the same session (listing,
 * duplicates, event numbers) and goes on numbering after it.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { startAgent } from "../../agent/mod.ts";
import { call, type Loose, openSession, readEvents, waitFor } from "./helpers.ts";

const TASKS = 60;

function kinds(path: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of readFileSync(path, "utf8").trim().split("\n")) {
    const t = JSON.parse(line).t as string;
    counts[t] = (counts[t] ?? 0) + 1;
  }
  return counts;
}

describe("checkpoints of a live session's journal", () => {
  it("turns each finished task into one line while the session runs, and a restart restores it", async () => {
    const dir = mkdtempSync(`${tmpdir()}/asyncflow-checkpoint-`);
    const journal = `${dir}/journal.jsonl`;
    const options = { dir, cores: 2, journalCompactBytes: 4096 };
    let agent = await startAgent(options);
    try {
      const sid = await openSession(agent);
      const tasks = Array.from({ length: TASKS }, (_, i) => ({
        id: `t${i}`,
        kind: "executable",
        command: ["echo", `out ${i}`],
      }));
      await call(agent, "POST", `/v1/sessions/${sid}/tasks`, { tasks });
      const events = await readEvents(
        agent,
        sid,
        0,
        (es) => es.filter((e) => e.state === "done").length === TASKS,
      );
      const last = events.at(-1)!.seq;
      // 2 events per task plus a pid line each, 400 bytes or more a task: the 4 KiB growth is
      // passed several times over, and the reaper checkpoints while the session is open.
      await waitFor(
        () => (kinds(journal).fin ?? 0) > 0,
        "finished tasks checkpointed into fin lines",
      );
      assert.equal(kinds(journal).close, undefined, "the session is open");
      // A restart on the checkpointed journal.
      await agent.close();
      agent = await startAgent(options);
      const size = statSync(journal).size;
      // Opening the journal checkpoints the rest.
      assert.deepEqual(kinds(journal), { open: 1, fin: TASKS });
      const info = await call(agent, "GET", `/v1/sessions/${sid}`);
      assert.equal(info.status, 200, JSON.stringify(info.body));
      assert.equal(info.body.seq, last, "events keep their numbers");
      assert.equal(info.body.tasks, TASKS);
      const listing = await call(agent, "GET", `/v1/sessions/${sid}/tasks`);
      assert.deepEqual(
        listing.body.tasks.map((e: Loose) => [e.id, e.state, e.value]).sort(),
        tasks.map((t, i) => [t.id, "done", `out ${i}\n`]).sort(),
      );
      const one = await call(agent, "GET", `/v1/sessions/${sid}/tasks/t7`);
      assert.equal(one.body.kind, "executable");
      // Every event is there under its number, the checkpointed tasks' running ones too.
      const log = await call(agent, "GET", `/v1/sessions/${sid}/events?after=0&wait=0`);
      assert.deepEqual(log.body.events.map((e: Loose) => e.seq), events.map((e) => e.seq));
      const again = await call(agent, "POST", `/v1/sessions/${sid}/tasks`, {
        tasks: [tasks[0], { id: "next", kind: "executable", command: ["echo", "next"] }],
      });
      assert.deepEqual(again.body.results.map((r: Loose) => r.status), ["duplicate", "accepted"]);
      const more = await readEvents(agent, sid, last, (es) => es.some((e) => e.state === "done"));
      assert.deepEqual(more.map((e) => [e.id, e.state]), [["next", "running"], ["next", "done"]]);
      assert.ok(more[0]!.seq > last, `new events go on after ${last}: ${more[0]!.seq}`);
      assert.ok(statSync(journal).size > size, "the new task is journaled after the checkpoint");
    } finally {
      await agent.close();
    }
  });
});
