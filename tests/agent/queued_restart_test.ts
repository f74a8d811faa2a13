/**
 * Queued tasks survive an agent restart: a task whose submission is in the journal and which had
 * not started when the agent died is started by the restarted agent; only the task that was
 * running is reported lost.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { WorkflowEngine } from "../../mod.ts";
import { RemoteBackend } from "../../backends/remote/mod.ts";
import { agentProcess, alive, fixtures, pidIn, startTime, waitFor } from "./helpers.ts";

describe("a restarted agent and the tasks that only waited", () => {
  it("starts the queued tasks itself and reports only the running one as lost", async () => {
    const dir = mkdtempSync(`${tmpdir()}/asyncflow-queued-`);
    const work = mkdtempSync(`${tmpdir()}/asyncflow-queued-work-`);
    // One slot: the first command holds it, the others wait in the agent's queue.
    const args = ["--cores", "1", "--module", `fixtures=${fixtures.pathname}`];
    let agent = await agentProcess(dir, args);
    try {
      const backend = RemoteBackend.fromEndpointFile(`${dir}/endpoint.json`, {
        modules: { fixtures },
        heartbeat: 100,
        unreachableAfter: 30_000,
      });
      await using flow = await WorkflowEngine.create({ backend });
      const long = flow.executableTask(() => `echo $$ > ${work}/pid; exec sleep 30`)();
      long.catch(() => {}); // awaited below
      const pid = await pidIn(`${work}/pid`);
      const start = startTime(pid);
      // Each queued command appends its name: a task run twice would show twice.
      const queued = ["q1", "q2", "q3"].map((name) =>
        flow.executableTask(() => `echo ${name} >> ${work}/ran; echo ${name}`)()
      );
      await waitFor(() => {
        const journal = readFileSync(`${dir}/journal.jsonl`, "utf8");
        return journal.includes('"t":"pid"') && (journal.match(/"t":"task"/g) ?? []).length === 4;
      }, "the journal to hold the running command's pid and the three queued submissions");
      await agent.stop(); // SIGKILL
      agent = await agentProcess(dir, args);
      assert.deepEqual(await Promise.all(queued), ["q1", "q2", "q3"]);
      await assert.rejects(long, /was running when the agent stopped/);
      assert.deepEqual(readFileSync(`${work}/ran`, "utf8"), "q1\nq2\nq3\n");
      await waitFor(() => !alive(pid, start), "the lost command's process group to be killed");
      const log = readFileSync(`${dir}/agent.log`, "utf8");
      assert.match(log, / info restart recovery sessions=1 requeued=3 lost=1 /);
      assert.match(log, / warn task lost .* error="task 'task\.\d+' was running when/);
    } finally {
      await agent.stop();
    }
  });
});
