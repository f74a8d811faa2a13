import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { serveDashboard } from "../../dashboard/mod.ts";
import { type TaskEvent, WorkflowEngine } from "../../mod.ts";
import { renderReportBody } from "../../report/report.ts";
import { eventReader } from "./_sse.ts";

/** The sort value of a task's duration cell in the report's task table, in ms. */
function durationOf(html: string, uid: string): number {
  const row = new RegExp(
    `data-uid="${uid.replace(".", "\\.")}">(?:<td[^>]*>.*?</td>){4}<td data-v="([\\d.]+)"`,
  )
    .exec(html);
  assert.ok(row, `no duration for ${uid}`);
  return Number(row[1]);
}

const base = { uid: "t1", name: "step", kind: "function" as const, workflowId: "main" };
const running: TaskEvent[] = [
  { ...base, type: "created", time: 1_000, deps: [] },
  { ...base, type: "running", time: 2_000, backend: "local" },
];

describe("the time axis", () => {
  it("runs to 'now' while a task runs, and ends at the last event otherwise", () => {
    assert.equal(durationOf(renderReportBody(running), "t1"), 0, "a trace ends at its last event");
    assert.equal(durationOf(renderReportBody(running, { now: 12_000 }), "t1"), 10_000);
    assert.match(renderReportBody(running, { now: 12_000 }), /data-count="makespan"><b>11\.0 s</);
    const done = [...running, { ...base, type: "done" as const, time: 3_000 }];
    assert.equal(durationOf(renderReportBody(done, { now: 12_000 }), "t1"), 1_000, "nothing runs");
  });

  it(
    "moves on in the live dashboard while a task runs without news",
    { timeout: 30_000 },
    async () => {
      await using flow = await WorkflowEngine.create();
      const events: TaskEvent[] = [];
      flow.subscribe((e) => events.push(e));
      await using dashboard = await serveDashboard(flow, { minIntervalMs: 20 });
      const stream = eventReader(await fetch(dashboard.url.replace("/?", "/events?")));
      const gate = Promise.withResolvers<void>();
      const started = Promise.withResolvers<void>();
      const task = flow.functionTask(async function wait() {
        started.resolve();
        await gate.promise;
      })();
      await started.promise;
      const view = async () => {
        const res = await fetch(dashboard.url.replace("/?", "/view?"));
        return { ticks: Number(res.headers.get("x-asyncflow-ticks")), html: await res.text() };
      };
      // Two ticks with no event between them: each view is drawn up to a later time.
      const untilTick = async () => {
        for (;;) if ((await stream.nextEvent()).type === "tick") return;
      };
      await untilTick();
      const first = await view();
      await untilTick();
      const second = await view();
      assert.ok(second.ticks > first.ticks, `ticks ${first.ticks} then ${second.ticks}`);
      const uid = task.uid;
      assert.ok(durationOf(first.html, uid) > 0, "drawn past the last event, its start");
      assert.ok(durationOf(second.html, uid) > durationOf(first.html, uid), "and further on");

      gate.resolve();
      await task;
      dashboard.finish();
      let last = await stream.nextEvent();
      while (!last.data.endsWith(" end")) last = await stream.nextEvent();
      await stream.close();
      // Finished, the view is the report again: it ends at the last event.
      const final = await view();
      assert.equal(durationOf(final.html, uid) < durationOf(second.html, uid) + 1e9, true);
      assert.doesNotMatch(final.html, /data-count="running"><b>[1-9]/);
    },
  );
});
