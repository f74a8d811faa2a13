/**
 * Builds the engine's parts and wires them together, each on the ones before it: the kernel
 * (phases, settling, events), the lanes (backends, capacity, batching), attempts (retries,
 * timeouts), blocks (bodies), declared-file checks, the dispatcher (resume, ready tasks), calls
 * (wiring futures into nodes) and the channel backends report through. `WorkflowEngine` keeps
 * what it needs of them and is the public face.
 *
 * @module
 */
import type { Backend, BackendContext } from "./backend.ts";
import { Attempts } from "./attempts.ts";
import { Blocks } from "./blocks.ts";
import { Calls } from "./calls.ts";
import type { DefinitionHost } from "./definitions.ts";
import { Dispatcher } from "./dispatch.ts";
import type { Emitter } from "./emitter.ts";
import type { EngineOptions } from "./engine_options.ts";
import { FileChecks } from "./file_checks.ts";
import { Flush } from "./flush.ts";
import { type ContextStorage, host } from "./host/mod.ts";
import { Kernel } from "./kernel.ts";
import { Lanes } from "./lanes.ts";
import { DefinitionNames } from "./names.ts";
import { reportChannel } from "./reports.ts";
import { AttributionCheck, type Scope } from "./scope.ts";
import type { NodeOwner, TaskNode } from "./task_node.ts";
import type { TraceContextHook } from "./trace_context.ts";

/** The parts an engine keeps. */
export interface EngineParts {
  kernel: Kernel;
  lanes: Lanes;
  calls: Calls;
  definitions: DefinitionHost;
  reports: BackendContext;
  /** Where the runtime has no async context: warns of calls it cannot attribute. */
  attribution: AttributionCheck | undefined;
}

/** What the engine itself owns and hands its parts. */
export interface EngineShared {
  emitter: Emitter;
  context: ContextStorage<Scope | undefined>;
  trace: TraceContextHook;
}

/**
 * Builds and wires the parts of one engine; the closures reach parts built after them.
 *
 * @param uid The engine's uid.
 * @param workDir The directory under which the engine's own directory is made.
 * @param options The engine's options, already checked.
 * @param backends The backends, the default first.
 * @param shared The emitter, context storage and trace-context hook the engine owns.
 * @returns The parts the engine keeps.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { wireParts } from "./engine_parts.ts";
 * import { Emitter } from "./emitter.ts";
 * import { host } from "./host/mod.ts";
 * import { NoopBackend } from "./noop_backend.ts";
 * import { TraceContextHook } from "./trace_context.ts";
 * const shared = { emitter: new Emitter(), context: host.contextStorage(), trace: new TraceContextHook() };
 * const parts = wireParts("engine.x", "/tmp", {}, [new NoopBackend()], shared as never);
 * assert.deepEqual(parts.lanes.names, ["default"]); // a NoopBackend is named "default" unless told
 * ```
 */
export function wireParts(
  uid: string,
  workDir: string,
  options: EngineOptions,
  backends: Backend[],
  shared: EngineShared,
): EngineParts {
  const { emitter, context, trace } = shared;
  const dryRun = options.dryRun ?? false;
  // A recorded run can be resumed from: it records results whatever recordResults says.
  const recordResults = options.recordResults === true || options.record !== undefined;
  const kernel = new Kernel(emitter, recordResults);
  const flush = new Flush(context);
  const lanes = new Lanes(backends, kernel, flush, (node, error) => attempts.failed(node, error));
  const attempts = new Attempts(kernel, lanes, (node) => dispatcher.rerun(node));
  const blocks = new Blocks(kernel, attempts, context, flush);
  // In a dry run nothing writes files: declared ones only order the tasks.
  const files = dryRun ? undefined : new FileChecks({
    done: (node, value) => kernel.settle(node, "DONE", value),
    failed: (node, error) => attempts.failed(node, error),
  }, recordResults);
  const forced = options.force !== undefined && options.force.length > 0
    ? new WeakSet<TaskNode>()
    : undefined;
  const memo = {
    resume: options.resume,
    resumeFiles: options.resumeFiles,
    forced,
    recordResults,
  };
  const dispatcher = new Dispatcher(kernel, lanes, blocks, memo, flush, files);
  kernel.scheduler = dispatcher;
  const owner: NodeOwner = {
    cancelNode: (node, reason) => kernel.cancel(node, reason),
    // A stopped block body ends at its next await of an unfinished task future.
    awaitError: () => {
      if (!kernel.blockStopped) return undefined;
      const run = context.get()?.run;
      return run !== undefined && run.stopped ? run.stopError() : undefined;
    },
  };
  const force = forced === undefined ? undefined : { names: new Set(options.force), forced };
  const calls = new Calls(uid, kernel, context, owner, force);
  // Without async context a call after a body's await cannot be attributed: check each call
  // outside a scope. With it, calls go straight through.
  const attribution = context.tracksAwaits ? undefined : new AttributionCheck(host.runtime);
  blocks.attribution = attribution;
  const definitions: DefinitionHost = {
    backendNames: lanes.names,
    names: new DefinitionNames(),
    call: attribution === undefined ? calls.call.bind(calls) : (def, args) => {
      if (context.get() === undefined) attribution.unscoped(def.name);
      return calls.call(def, args);
    },
  };
  const reports = reportChannel(
    uid,
    `${workDir}/${uid}`,
    options.record?.outputDir,
    kernel,
    lanes,
    attempts,
    files,
    trace,
  );
  return { kernel, lanes, calls, definitions, reports, attribution };
}
