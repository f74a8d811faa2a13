/**
 * Resource use through the agent: a command run on a RemoteBackend carries the CPU time and peak
 * memory the agent measured (on its own host, or on its node through the node executor), and a
 * recorded run shows them in its trace, `asyncflow show` and the report, as a local one does.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type AgentHandle, startAgent } from "../../agent/mod.ts";
import { executorEntry, NodeExecutor } from "../../agent/executor/node_executor.ts";
import { readTrace } from "../../graph/mod.ts";
import { renderReport } from "../../report/mod.ts";
import { runCli, tempDir } from "../cli/_helpers.ts";
import { burnArgv, burnShell } from "../fixtures/burn.ts";
import { burnCpu } from "../fixtures/task_functions.ts";
import { RemoteBackend } from "../../backends/remote/mod.ts";
import { type ExecutionRecord, WorkflowEngine } from "../../mod.ts";

const linux = existsSync("/proc/self/stat");
let agent: AgentHandle;

const fixtures = new URL("../fixtures/task_functions.ts", import.meta.url);

before(async () => {
  agent = await startAgent({ cores: 2, modules: { fixtures } });
});
after(async () => {
  await agent.close();
});

describe("resource use through the agent (Linux /proc)", { skip: !linux }, () => {
  it("a recorded run on a RemoteBackend has each command's CPU and memory in trace, show and report", async () => {
    const tmp = tempDir();
    try {
      const root = join(tmp.dir, "runs");
      const wf = tmp.write(
        "burn.yaml",
        `tasks:\n  burn: { command: ${
          JSON.stringify(burnShell())
        } }\n  idle: { command: "sleep 0.2" }\n`,
      );
      const argv = ["run", wf, "--backend", "remote", "--url", agent.url, "--token", agent.token];
      const r = await runCli([...argv, "--runs-dir", root, "-q", "--json"]);
      assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
      const run = JSON.parse(r.stdout);
      assert.equal(run.status, "ok", r.stderr);
      const events = readTrace(readFileSync(join(run.run.dir, "trace.jsonl"), "utf8"));
      const record = (name: string) =>
        events.find((e) => e.type === "done" && e.name === name)!.record!;
      const burn = record("burn");
      assert.ok(burn.cpuMs! >= 100, `cpuMs ${burn.cpuMs} of a 1.1 s busy loop`);
      assert.ok(burn.maxRssKiB! >= 128 * 1024, `maxRssKiB ${burn.maxRssKiB} holding 128 MiB`);
      const idle = record("idle");
      assert.ok(idle.cpuMs! < 100, `cpuMs ${idle.cpuMs} of sleep`);

      const table = (await runCli(["show", "last", "--runs-dir", root])).stdout;
      assert.match(table, /^STATE +UID +RAN +CPU +MEMORY +ATTEMPTS/m);
      const task = (await runCli(["show", "last", "burn", "--runs-dir", root])).stdout;
      assert.match(task, /^ {2}used +\d[\d.]*m?s CPU, [\d.]+ [MG]iB peak memory$/m);
      const html = renderReport(events);
      assert.match(html, new RegExp(`<td data-v="${burn.maxRssKiB}">[\\d.]+ [MG]iB</td>`));
    } finally {
      tmp.cleanup();
    }
  });

  it("a function on the agent's Worker pool carries its thread's CPU time", async () => {
    const backend = new RemoteBackend({
      url: agent.url,
      token: agent.token,
      modules: { fixtures },
    });
    await using flow = await WorkflowEngine.create({ backend });
    let record: ExecutionRecord | undefined;
    flow.subscribe((e) => e.type === "done" && (record = e.record));
    assert.equal(await flow.functionTask(burnCpu)(100), 100);
    // Deno's thread CPU time comes in 10 ms steps.
    assert.ok(record?.cpuMs !== undefined && record.cpuMs >= 80, JSON.stringify(record));
  });

  it("a node executor measures the commands it forks and sends the figures back", async () => {
    const ex = await NodeExecutor.start("n1", executorEntry());
    try {
      const outcome = await ex.spawn({ command: burnArgv(), maxBufferBytes: 1 << 20 }).exited;
      assert.equal(outcome.exitCode, 0, outcome.stderr);
      assert.ok(outcome.usage!.cpuMs! >= 100, `cpuMs ${outcome.usage?.cpuMs}`);
      assert.ok(outcome.usage!.maxRssKiB! >= 128 * 1024, `maxRssKiB ${outcome.usage?.maxRssKiB}`);
    } finally {
      await ex.close();
    }
  });
});
