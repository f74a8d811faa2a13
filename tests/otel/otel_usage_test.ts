/**
 * The attempt's record on its span, against the real OpenTelemetry SDK: exit code and pid by the
 * semantic conventions' names, CPU time and peak memory by ours.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { describe, it } from "node:test";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { LocalBackend, WorkflowEngine } from "../../mod.ts";
import { WorkerPoolBackend } from "../../backends/worker_pool/mod.ts";
import { instrument } from "../../otel/mod.ts";
import { burnCpu } from "../fixtures/task_functions.ts";

const SHARED = new URL("../fixtures/task_functions.ts", import.meta.url);
const linux = existsSync("/proc/self/stat");

describe("OpenTelemetry export: what each attempt used", () => {
  it("puts exit code, pid, CPU time and peak memory on the task spans", async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const pool = new WorkerPoolBackend({ modules: [SHARED], size: 1, measureUsage: true });
    await using flow = await WorkflowEngine.create({
      backends: [new LocalBackend({ measureUsage: true }), pool],
    });
    const telemetry = instrument(flow, { tracer: provider.getTracer("t"), metrics: false });
    try {
      // Long enough for the first samples (10 ms, then 30 ms) on a loaded machine.
      await flow.executableTask(() => "sleep 0.3", { name: "idle" })();
      await flow.executableTask(() => "exit 3", { name: "broken" })().catch(() => undefined);
      await flow.functionTask(burnCpu, { backend: pool.name })(30);
    } finally {
      telemetry.stop();
    }
    const span = (name: string) => exporter.getFinishedSpans().find((s) => s.name === name)!;
    const idle = span("idle").attributes;
    assert.equal(idle["process.exit.code"], 0);
    assert.ok(Number(idle["process.pid"]) > 0, `pid ${idle["process.pid"]}`);
    if (linux) {
      assert.equal(typeof idle["asyncflow.cpu_ms"], "number", JSON.stringify(idle));
      assert.ok(Number(idle["asyncflow.max_rss_kib"]) > 0, JSON.stringify(idle));
    }
    assert.equal(span("broken").attributes["process.exit.code"], 3);
    const burn = span("burnCpu").attributes;
    assert.ok(Number(burn["asyncflow.cpu_ms"]) >= 20, JSON.stringify(burn));
    assert.equal(burn["process.exit.code"], undefined, "a function has no exit code");
  });
});
