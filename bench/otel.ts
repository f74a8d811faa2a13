/**
 * What OpenTelemetry instrumentation costs per task: 20,000 no-op function tasks on an engine with
 * no listener (the floor), with one empty listener (events are built), and instrumented with the
 * real SDK (spans to an in-memory exporter, metrics to a meter provider), in the same run.
 * Several rounds each, interleaved; prints the median and the spread, and one JSON line.
 *
 * Run: deno run -A bench/otel.ts | bun bench/otel.ts | node bench/otel.ts   (--quick: 5,000 tasks)
 */
import process from "node:process";
import { cpus } from "node:os";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { WorkflowEngine } from "../mod.ts";
import { instrument } from "../otel/mod.ts";
import { median } from "./stats.ts";

const N = process.argv.includes("--quick") ? 5_000 : 20_000;
const ROUNDS = 5;
const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";

type Mode = "no listener" | "empty listener" | "OpenTelemetry";

async function once(mode: Mode): Promise<number> {
  await using flow = await WorkflowEngine.create();
  let telemetry: { stop(): void } | undefined;
  const exporter = new InMemorySpanExporter();
  if (mode === "empty listener") flow.subscribe(() => {});
  if (mode === "OpenTelemetry") {
    const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
      .getTracer("bench");
    telemetry = instrument(flow, { tracer, meter: new MeterProvider().getMeter("bench") });
  }
  const noop = flow.functionTask(function noop(i: number) {
    return i;
  });
  const t0 = performance.now();
  await Promise.all(Array.from({ length: N }, (_, i) => noop(i)));
  const ms = performance.now() - t0;
  telemetry?.stop();
  exporter.reset();
  return ms;
}

const modes: Mode[] = ["no listener", "empty listener", "OpenTelemetry"];
const times = new Map<Mode, number[]>(modes.map((m) => [m, []]));
await once("OpenTelemetry"); // warm up the SDK's code paths
for (let r = 0; r < ROUNDS; r++) for (const m of modes) times.get(m)!.push(await once(m));

const floor = median(times.get("no listener")!);
console.log(`${runtime}, ${cpus().length} × ${cpus()[0]?.model ?? "?"}, ${N} no-op tasks`);
const result: Record<string, unknown> = { runtime, tasks: N };
for (const m of modes) {
  const xs = times.get(m)!;
  const med = median(xs);
  const perTask = (med * 1000) / N;
  console.log(
    `${m.padEnd(16)} ${(N / (med / 1000)).toFixed(0).padStart(8)} tasks/s  ${
      perTask.toFixed(2)
    } µs/task  ×${(med / floor).toFixed(2)} of the floor  (runs ${Math.min(...xs).toFixed(0)}–${
      Math.max(...xs).toFixed(0)
    } ms)`,
  );
  result[m] = { medianMs: med, perTaskUs: perTask, ratio: med / floor };
}
console.log(JSON.stringify(result));
