import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { type TaskEvent, WorkflowEngine } from "../mod.ts";
import { campaignDir, fileCampaign } from "./fixtures/file_campaign.ts";

/** One run of the campaign, resumed from the events of the one before (if any). */
async function run(
  dir: string,
  previous?: readonly TaskEvent[],
  force?: string[],
): Promise<{ events: TaskEvent[]; ran: string[]; reruns: Record<string, string> }> {
  const done = (previous ?? []).filter((e) => e.type === "done" && e.memoKey !== undefined);
  const resume = previous && new Map(done.map((e) => [e.memoKey!, e.result]));
  const resumeFiles = previous && new Map(done.map((e) => [e.memoKey!, e.files!]));
  const events: TaskEvent[] = [];
  {
    await using flow = await WorkflowEngine.create({
      recordResults: true,
      ...(resume ? { resume, resumeFiles: resumeFiles! } : {}),
      ...(force ? { force } : {}),
    });
    flow.subscribe((e) => events.push(e));
    await fileCampaign(flow, dir);
  }
  const ran = events.filter((e) => e.type === "submitted").map((e) => e.name).sort();
  const reruns = Object.fromEntries(
    events.filter((e) => e.rerun !== undefined).map((e) => [e.name, e.rerun!]),
  );
  return { events, ran, reruns };
}

describe("file-aware resume", () => {
  it("reruns exactly the tasks whose declared files say so, and says why", async (t) => {
    const dir = campaignDir();
    t.after(() => rmSync(dir, { recursive: true, force: true }));

    const first = await run(dir);
    assert.equal(first.ran.length, 9);
    assert.equal(
      readFileSync(`${dir}/out/all.dat`, "utf8"),
      "POINT 1\nPOINT 2\nPOINT 3\nPOINT 4\n",
    );

    const second = await run(dir, first.events);
    assert.deepEqual(second.ran, [], "nothing changed: nothing runs");
    assert.equal(second.events.filter((e) => e.type === "done" && e.resumed).length, 9);

    // A deleted output reruns the task that makes it; it writes the same bytes, so the
    // aggregate (whose input has a new modification time, not new content) does not rerun.
    rmSync(`${dir}/out/p3.dat`);
    const third = await run(dir, second.events);
    assert.deepEqual(third.ran, ["process[3]"]);
    assert.deepEqual(third.reruns, { "process[3]": "out/p3.dat missing" });

    // A changed input reruns what depends on it, down to the aggregate.
    writeFileSync(`${dir}/in/p2.txt`, "point two\n");
    const fourth = await run(dir, third.events);
    assert.deepEqual(fourth.ran, ["aggregate", "generate[2]", "process[2]"]);
    assert.deepEqual(fourth.reruns, {
      "generate[2]": "in/p2.txt changed",
      "process[2]": "gen/p2.dat changed",
      "aggregate": "out/p2.dat changed",
    });
    assert.equal(
      readFileSync(`${dir}/out/all.dat`, "utf8"),
      "POINT 1\nPOINT TWO\nPOINT 3\nPOINT 4\n",
    );

    // An output edited by hand is changed too; `force` reruns by template or by name.
    writeFileSync(`${dir}/out/all.dat`, "edited\n");
    const fifth = await run(dir, fourth.events, ["generate[4]", "process"]);
    assert.deepEqual(fifth.ran, [
      "aggregate",
      "generate[4]",
      "process[1]",
      "process[2]",
      "process[3]",
      "process[4]",
    ]);
    assert.equal(fifth.reruns["aggregate"], "out/all.dat changed");
    assert.equal(fifth.reruns["process[1]"], "forced");
  });

  it("reruns a task whose definition changed, and one with no recorded fingerprints", async (t) => {
    const dir = mkdtempSync(`${tmpdir()}/asyncflow-resume-`);
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const once = async (text: string, previous?: TaskEvent[], keepFiles = true) => {
      const done = (previous ?? []).filter((e) => e.type === "done");
      const events: TaskEvent[] = [];
      await using flow = await WorkflowEngine.create({
        recordResults: true,
        ...(previous
          ? {
            resume: new Map(done.map((e) => [e.memoKey!, e.result])),
            resumeFiles: new Map(keepFiles ? done.map((e) => [e.memoKey!, e.files!]) : []),
          }
          : {}),
      });
      flow.subscribe((e) => events.push(e));
      await flow.executableTask(() => `echo ${text} > a.txt`, { cwd: dir, outputs: ["a.txt"] })();
      return events;
    };
    const first = await once("one");
    const same = await once("one", first);
    assert.equal(same.filter((e) => e.type === "submitted").length, 0);
    const changed = await once("two", same);
    assert.equal(
      changed.find((e) => e.type === "queued")?.rerun,
      "no result recorded for its name, arguments and command",
    );
    const unrecorded = await once("two", changed, false);
    assert.equal(
      unrecorded.find((e) => e.type === "queued")?.rerun,
      "no fingerprints of its files were recorded",
    );
  });
});
