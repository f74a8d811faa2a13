import type { TaskSpec } from "../../src/backend.ts";
import type { TraceContext } from "../../src/trace_context.ts";
import { ExecutableError } from "../../src/errors.ts";
import { type FunctionAddress, jsonProblem } from "./addressing.ts";
import type { WireError, WireTask } from "../../protocol/v1.ts";

/**
 * The wire form of a task, or a `TypeError` saying why it cannot be sent
 * (an unaddressable function, an argument that is not JSON); with the attempt's W3C trace
 * context when the run is traced.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toWire } from "./wire.ts";
 * const w = toWire({ id: "t1", uid: "t1", name: "x", kind: "executable", command: ["true"], args: [],
 *   priority: 0, attempt: 1, workflowId: "w" }, new Map());
 * assert.ok(!(w instanceof Error) && w.kind === "executable");
 * ```
 */
export function toWire(
  spec: TaskSpec,
  index: Map<unknown, FunctionAddress>,
  trace?: TraceContext,
): WireTask | TypeError {
  const common = {
    id: spec.id,
    ...(trace === undefined ? {} : trace),
    name: spec.name.slice(0, 200),
    ...(spec.priority !== 0 ? { priority: spec.priority } : {}),
    ...(spec.resources ? { resources: spec.resources } : {}),
  };
  if (spec.kind === "executable") {
    return {
      ...common,
      kind: "executable",
      command: typeof spec.command === "string" ? spec.command : [...spec.command!],
      ...(spec.cwd !== undefined ? { cwd: spec.cwd } : {}),
      ...(spec.env !== undefined ? { env: spec.env } : {}),
      ...(spec.captureOutput ? { captureOutput: true } : {}),
    };
  }
  const fn = index.get(spec.fn);
  if (fn === undefined) {
    const known = [...new Set([...index.values()].map((a) => a.module))].join(", ") || "none";
    return new TypeError(
      `RemoteBackend: function '${spec.name}' (${spec.uid}) cannot run on the agent: it is not an export of a task ` +
        `module given in 'modules' (known modules: ${known}). Move it into such a module and import it from there.`,
    );
  }
  const problem = jsonProblem(spec.args, "args");
  if (problem) {
    return new TypeError(
      `RemoteBackend: the arguments of '${spec.name}' (${spec.uid}) must be JSON: ${problem}`,
    );
  }
  return { ...common, kind: "function", fn, args: spec.args };
}

const KNOWN: Record<string, new (message: string) => Error> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/**
 * An error from its wire form: an `ExecutableError` for a failed command, a
 * built-in error class when the name is one, else an `Error` with the name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromWireError } from "./wire.ts";
 * assert.ok(fromWireError({ name: "RangeError", message: "x" }) instanceof RangeError);
 * ```
 */
export function fromWireError(e: WireError): Error {
  if (e.name === "ExecutableError" && e.command !== undefined) {
    return new ExecutableError(e.command, {
      exitCode: e.exitCode ?? null,
      signal: e.signal ?? null,
      stdout: e.stdout ?? "",
      stderr: e.stderr ?? "",
    });
  }
  const Ctor = KNOWN[e.name] ?? Error;
  const error = new Ctor(e.message);
  if (error.name !== e.name) error.name = e.name;
  if (e.stack) error.stack = `${e.stack}\n    at the agent`;
  return error;
}
