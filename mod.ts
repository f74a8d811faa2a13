/**
 * asyncflow: campaigns of tasks — async functions and shell commands — wired
 * into a dependency graph by passing one task's future as another's argument,
 * grouped into blocks, and run on pluggable backends.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WorkflowEngine } from "@asyncflow/asyncflow";
 * await using flow = await WorkflowEngine.create();
 * const square = flow.functionTask((n: number) => n * n);
 * const total = flow.functionTask((xs: number[]) => xs.reduce((a, b) => a + b, 0));
 * assert.ok((await total([square(1), square(2), square(3)])) === 14);
 * ```
 *
 * @module
 */
export { WorkflowEngine } from "./src/engine.ts";
export type { EngineOptions, EngineStats } from "./src/engine.ts";
export { TaskFuture } from "./src/task_future.ts";
export type { FutureOwner } from "./src/task_future.ts";
export type {
  DeepInput,
  ExecutableFunction,
  Input,
  InputArgs,
  TaskFunction,
} from "./src/task_function.ts";
export { taskContext } from "./src/task_context.ts";
export type { FlowScope } from "./src/scope.ts";
export type { TaskContext } from "./src/task_context.ts";
export { isFinalState } from "./src/task_state.ts";
export type { TaskKind, TaskState } from "./src/task_state.ts";
export type {
  CommandOutput,
  ExecutableOptions,
  ExecutableTaskOptions,
  Resources,
  RetryPolicy,
  TaskOptions,
} from "./src/options.ts";
export { durationProblem, parseDuration } from "./src/duration.ts";
export type {
  Duration,
  DurationPart,
  DurationRules,
  DurationText,
  DurationUnit,
} from "./src/duration.ts";
export {
  CancelledError,
  DependencyFailureError,
  EngineClosedError,
  ExecutableError,
  MissingOutputError,
  TimeoutError,
} from "./src/errors.ts";
export type { TaskRef } from "./src/errors.ts";
export { TASK_EVENT_TYPES } from "./src/events.ts";
export type { TaskEvent, TaskEventListener, TaskEventSource, TaskEventType } from "./src/events.ts";
export type { Backend, BackendContext, TaskSpec } from "./src/backend.ts";
export type { ExecutionRecord } from "./src/execution_record.ts";
export type { TraceContext, TraceContextProvider } from "./src/trace_context.ts";
export type { FileFingerprint, TaskFiles } from "./src/task_files.ts";
export type { FileDeclaration, FileRecord } from "./src/declared_files.ts";
export type { RunRecorder } from "./src/run_recorder.ts";
export { LocalBackend } from "./src/local_backend.ts";
export type { LocalBackendOptions } from "./src/local_backend.ts";
export { NoopBackend } from "./src/noop_backend.ts";
export type { NoopBackendOptions } from "./src/noop_backend.ts";
