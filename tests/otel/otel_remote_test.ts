/**
 * W3C trace context carried to the agent: with the OpenTelemetry export on, each task a
 * RemoteBackend sends carries the `traceparent` of its span; the agent keeps it on the task and
 * on every event of it, so the remote work is parented under the client's span in the client's
 * trace, and gives a command it as TRACEPARENT. Against a real agent on loopback and the real SDK.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { type AgentHandle, startAgent } from "../../agent/mod.ts";
import { RemoteBackend } from "../../backends/remote/mod.ts";
import { WorkflowEngine } from "../../mod.ts";
import { instrument } from "../../otel/mod.ts";
import { add } from "../fixtures/task_functions.ts";
import { call, type Loose } from "../agent/helpers.ts";

const fixtures = new URL("../fixtures/task_functions.ts", import.meta.url);
let agent: AgentHandle;

before(async () => {
  agent = await startAgent({ cores: 2, modules: { fixtures } });
});
after(async () => {
  await agent.close();
});

/** Every task event the agent holds, by the client's task id, from every session's listing. */
async function agentTasks(): Promise<Map<string, Loose>> {
  const { body } = await call(agent, "GET", "/v1/sessions");
  const tasks = new Map<string, Loose>();
  for (const s of body.sessions) {
    const listing = await call(agent, "GET", `/v1/sessions/${s.session}/tasks`);
    for (const t of listing.body.tasks) tasks.set(t.id, t);
  }
  return tasks;
}

describe("OpenTelemetry export through a RemoteBackend", () => {
  it("sends each attempt's traceparent; the agent echoes it; spans join the client's trace", async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const backend = new RemoteBackend({
      url: agent.url,
      token: agent.token,
      modules: { fixtures },
    });
    const flow = await WorkflowEngine.create({ backend });
    const telemetry = instrument(flow, { tracer: provider.getTracer("t"), metrics: false });
    const uids: Record<string, string> = {};
    let held = new Map<string, Loose>();
    let printed = "";
    try {
      const sum = flow.functionTask(add);
      const echo = flow.executableTask((n: number) => ["echo", String(n)], { name: "echo" });
      const print = flow.executableTask(() => ["sh", "-c", 'printf %s "$TRACEPARENT"'], {
        name: "print",
      });
      await flow.block(async function campaign() {
        const s = sum(1, 2);
        const e = echo(s);
        const p = print();
        uids.add = s.uid;
        uids.echo = e.uid;
        uids.print = p.uid;
        printed = await p;
        return await e;
      })();
      // Read before the session closes (shutdown ends it).
      held = await agentTasks();
    } finally {
      await flow.shutdown();
      telemetry.stop();
    }
    const spans = exporter.getFinishedSpans();
    const [run] = spans.filter((s) => s.name === "asyncflow run");
    const [campaign] = spans.filter((s) => s.name === "campaign");
    assert.ok(run && campaign);
    const traceId = run.spanContext().traceId;
    // The command ran on the agent with its attempt's span as TRACEPARENT.
    const print = spans.find((s) => s.name === "print")!;
    assert.equal(printed, `00-${traceId}-${print.spanContext().spanId}-01`);
    for (const name of ["add", "echo"]) {
      const span = spans.find((s) => s.name === name)!;
      assert.equal(span.spanContext().traceId, traceId, `${name} is in the client's trace`);
      assert.equal(span.parentSpanContext?.spanId, campaign.spanContext().spanId, name);
      assert.equal(span.attributes["asyncflow.outcome"], "done");
      assert.equal(span.attributes["asyncflow.ran"], true);
      assert.equal(span.events.find((e) => e.name === "running")?.name, "running");
      // The agent's record of the task points at the client's span: its remote work's parent.
      const [task] = [...held.values()].filter((t) => t.id.startsWith(uids[name]!));
      assert.equal(
        task?.traceparent,
        `00-${traceId}-${span.spanContext().spanId}-01`,
        `${name} on the agent: ${JSON.stringify(task)}`,
      );
    }
  });

  it("sends no trace context when nothing traces, and the agent refuses a malformed one", async () => {
    const backend = new RemoteBackend({ url: agent.url, token: agent.token });
    await using flow = await WorkflowEngine.create({ backend });
    const e = flow.executableTask(() => ["true"], { name: "plain" })();
    await e;
    const [task] = [...(await agentTasks()).values()].filter((t) => t.id.startsWith(e.uid));
    assert.ok(task, "the agent holds the task");
    assert.equal(task.traceparent, undefined);

    const { body: open } = await call(agent, "POST", "/v1/sessions", {});
    const bad = await call(agent, "POST", `/v1/sessions/${open.session}/tasks`, {
      tasks: [{ id: "t1", kind: "executable", command: ["true"], traceparent: "00-zz-1-01" }],
    });
    assert.equal(bad.body.results[0].status, "rejected", JSON.stringify(bad.body));
    assert.match(bad.body.results[0].error, /traceparent: a traceparent is W3C's '00-/);
    await call(agent, "DELETE", `/v1/sessions/${open.session}`);
  });
});
