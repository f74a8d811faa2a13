import assert from "node:assert/strict";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { SpanStatusCode } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { WorkflowEngine } from "../../mod.ts";
import { instrument } from "../../otel/mod.ts";

/**
 * A campaign with nested blocks, a retried step, a failing command, its dependent (which never
 * runs) and a command cancelled by its block's failure — all run for real.
 */
async function runCampaign(flow: WorkflowEngine): Promise<void> {
  let flakyCalls = 0;
  const step = flow.functionTask(function step(n: number) {
    return n + 1;
  });
  const flaky = flow.functionTask(function flaky() {
    if (flakyCalls++ === 0) throw new Error("transient");
    return "ok";
  }, { retries: 1 });
  const broken = flow.executableTask(() => "exit 3", { name: "broken" });
  const after = flow.functionTask(function after(_: string) {
    return 0;
  });
  const long = flow.executableTask(() => ["sleep", "30"], { name: "long" });
  const analysis = flow.block(async function analysis(x: number) {
    return await step(step(x));
  });
  const campaignA = flow.block(async function campaignA() {
    await flaky();
    return await analysis(step(1));
  });
  const campaignB = flow.block(async function campaignB() {
    const sim = long();
    sim.then(undefined, () => undefined);
    await after(broken());
  });
  await campaignA();
  await campaignB().catch(() => undefined);
}

function byName(spans: ReadableSpan[], name: string): ReadableSpan[] {
  return spans.filter((s) => s.name === name);
}

function parentOf(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

describe("OpenTelemetry export", () => {
  it("makes one span per attempt and per block, parented by block", async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const flow = await WorkflowEngine.create({ uid: "otel" });
    const telemetry = instrument(flow, { tracer: provider.getTracer("test"), metrics: false });
    try {
      await runCampaign(flow);
    } finally {
      await flow.shutdown();
      telemetry.stop();
    }
    const spans = exporter.getFinishedSpans();
    const [a] = byName(spans, "campaignA");
    const [b] = byName(spans, "campaignB");
    const [analysis] = byName(spans, "analysis");
    const [run] = byName(spans, "asyncflow run");
    assert.ok(a && b && analysis && run);
    // Spans are named by template; the task's own name, under its block's, is an attribute.
    assert.equal(analysis.attributes["asyncflow.name"], "campaignA/analysis");
    assert.equal(parentOf(run), undefined, "the run is the root");
    assert.equal(parentOf(a), run.spanContext().spanId, "a top-level block is under the run");
    assert.equal(parentOf(b), run.spanContext().spanId);
    assert.equal(new Set(spans.map((s) => s.spanContext().traceId)).size, 1, "one run, one trace");
    assert.equal(parentOf(analysis), a.spanContext().spanId);

    const steps = byName(spans, "step");
    assert.equal(steps.length, 3);
    const inA = steps.filter((s) => parentOf(s) === a.spanContext().spanId);
    const inAnalysis = steps.filter((s) => parentOf(s) === analysis.spanContext().spanId);
    assert.equal(inA.length, 1, "step(1) is called by campaignA");
    assert.equal(inAnalysis.length, 2, "the two steps called by analysis");
    for (const s of steps) {
      assert.equal(s.attributes["asyncflow.outcome"], "done");
      assert.equal(s.attributes["asyncflow.kind"], "function");
      assert.equal(s.attributes["asyncflow.workflow_id"], "main");
      assert.equal(s.attributes["asyncflow.backend"], "default");
      assert.equal(s.status.code, SpanStatusCode.OK);
    }

    const flaky = byName(spans, "flaky").sort((x, y) =>
      Number(x.attributes["asyncflow.attempt"]) - Number(y.attributes["asyncflow.attempt"])
    );
    assert.deepEqual(flaky.map((s) => s.attributes["asyncflow.outcome"]), ["retried", "done"]);
    assert.deepEqual(flaky.map((s) => s.attributes["asyncflow.attempt"]), [1, 2]);
    assert.equal(flaky[0]!.status.code, SpanStatusCode.ERROR);
    assert.equal(flaky[0]!.events[0]?.attributes?.["exception.message"], "transient");
    assert.match(String(flaky[0]!.events[0]?.attributes?.["exception.stacktrace"]), /flaky/);

    const [broken] = byName(spans, "broken");
    assert.equal(broken?.attributes["asyncflow.outcome"], "failed");
    assert.equal(broken?.attributes["asyncflow.kind"], "executable");
    assert.equal(broken?.status.code, SpanStatusCode.ERROR);
    assert.equal(parentOf(broken!), b.spanContext().spanId);
    assert.equal(b.status.code, SpanStatusCode.ERROR);

    const [after] = byName(spans, "after");
    assert.equal(after?.attributes["asyncflow.ran"], false, "a dependency failed: it never ran");
    assert.equal(after?.attributes["asyncflow.outcome"], "failed");
    assert.equal(after?.events[0]?.attributes?.["exception.type"], "DependencyFailureError");

    const [long] = byName(spans, "long");
    assert.equal(long?.attributes["asyncflow.outcome"], "cancelled");
    assert.equal(long?.events.at(-1)?.name, "cancelled");

    for (const s of spans) {
      const start = s.startTime[0] * 1e3 + s.startTime[1] / 1e6;
      const end = s.endTime[0] * 1e3 + s.endTime[1] / 1e6;
      assert.ok(end >= start, `${s.name} ends after it starts`);
    }
  });

  it("gives a command its attempt's span in TRACEPARENT; the task's own env wins", async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const flow = await WorkflowEngine.create();
    const telemetry = instrument(flow, { tracer: provider.getTracer("test"), metrics: false });
    const print = ["sh", "-c", 'printf %s "$TRACEPARENT"'];
    let seen = "", own = "";
    try {
      const traced = flow.executableTask(() => print, { name: "traced", env: { A: "1" } });
      const mine = flow.executableTask(() => print, {
        name: "mine",
        env: { TRACEPARENT: "set by the task" },
      });
      [seen, own] = await Promise.all([traced(), mine()]) as [string, string];
    } finally {
      await flow.shutdown();
      telemetry.stop();
    }
    const [span] = byName(exporter.getFinishedSpans(), "traced");
    const sc = span!.spanContext();
    assert.equal(seen, `00-${sc.traceId}-${sc.spanId}-01`);
    assert.equal(own, "set by the task");
  });

  it("exports the spans through the OTLP/HTTP exporter to a receiver on loopback", async () => {
    const bodies: unknown[] = [];
    const server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        bodies.push({
          url: req.url,
          type: req.headers["content-type"],
          body: Buffer.concat(chunks),
        });
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const exporter = new OTLPTraceExporter({ url: `http://127.0.0.1:${port}/v1/traces` });
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    try {
      await using flow = await WorkflowEngine.create();
      using _telemetry = instrument(flow, { tracer: provider.getTracer("otlp"), metrics: false });
      const step = flow.functionTask(function step(n: number) {
        return n * 2;
      });
      await flow.block(async function campaign() {
        return await step(step(1));
      })();
      await provider.forceFlush();
    } finally {
      await provider.shutdown();
      await new Promise((resolve) => server.close(resolve));
    }
    assert.ok(bodies.length >= 1);
    const names: string[] = [];
    for (const b of bodies as { url: string; type: string; body: Buffer }[]) {
      assert.equal(b.url, "/v1/traces");
      assert.match(b.type, /application\/json/);
      const json = JSON.parse(b.body.toString("utf8")) as {
        resourceSpans: { scopeSpans: { spans: { name: string }[] }[] }[];
      };
      for (const r of json.resourceSpans) {
        for (const s of r.scopeSpans) names.push(...s.spans.map((x) => x.name));
      }
    }
    assert.deepEqual(names.sort(), ["asyncflow run", "campaign", "step", "step"]);
  });

  it("counts tasks by state and records attempt durations", async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const provider = new MeterProvider({ readers: [reader] });
    const flow = await WorkflowEngine.create();
    const telemetry = instrument(flow, { meter: provider.getMeter("test"), traces: false });
    try {
      await runCampaign(flow);
    } finally {
      await flow.shutdown();
      telemetry.stop();
    }
    await provider.forceFlush();
    const metrics = new Map(
      exporter.getMetrics().flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics))
        .map((m) => [m.descriptor.name, m]),
    );
    const sum = (name: string, attrs: Record<string, string>) =>
      metrics.get(name)!.dataPoints
        .filter((p) => Object.entries(attrs).every(([k, v]) => p.attributes[k] === v))
        .reduce((total, p) => total + (p.value as number), 0);
    // 3 steps, flaky, broken, after, long + 3 blocks = 10.
    assert.equal(sum("asyncflow.tasks.finished", {}), 10);
    assert.equal(sum("asyncflow.tasks.finished", { "asyncflow.outcome": "failed" }), 3);
    assert.equal(sum("asyncflow.tasks.finished", { "asyncflow.outcome": "cancelled" }), 1);
    assert.equal(sum("asyncflow.task.attempts", { "asyncflow.outcome": "retried" }), 1);
    assert.equal(sum("asyncflow.tasks.live", {}), 0, "nothing is left live");
    const durations = metrics.get("asyncflow.task.duration")!;
    assert.equal(durations.descriptor.unit, "s");
    const count = durations.dataPoints.reduce(
      (n, p) => n + (p.value as { count: number }).count,
      0,
    );
    assert.equal(count, 10, "3 steps, 2 attempts of flaky, broken, long and 3 blocks ran");
    await provider.shutdown();
  });

  it("ends what is still open as unfinished when stopped, and then records nothing", async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    await using flow = await WorkflowEngine.create();
    const telemetry = instrument(flow, { tracer: provider.getTracer("t"), metrics: false });
    const started = Promise.withResolvers<void>();
    const release = Promise.withResolvers<void>();
    const hold = flow.functionTask(async function hold() {
      started.resolve();
      await release.promise;
    });
    const held = hold();
    await started.promise;
    telemetry.stop();
    assert.deepEqual(
      exporter.getFinishedSpans().map((s) => [s.name, s.attributes["asyncflow.outcome"]]),
      [["hold", "unfinished"], ["asyncflow run", undefined]],
    );
    release.resolve();
    await held;
    await flow.functionTask(function later() {})();
    assert.equal(exporter.getFinishedSpans().length, 2);
  });
});
