/**
 * What the agent and a node executor say to each other: one JSON object per line over the
 * executor's Slurm step (the agent writes to its stdin, reads its stdout). Every line is bounded
 * and checked on arrival; a line that is too long or of the wrong shape ends the link.
 *
 * @module
 */
import type { WireError } from "../../protocol/v1.ts";

/** The agent asks the executor to start a command in a process group of its own. */
export interface SpawnMessage {
  t: "spawn";
  /** The agent's number for this command, unique per executor. */
  id: number;
  argv: string[];
  cwd?: string;
  /** Added to the executor's environment (the Slurm step's). */
  env?: Record<string, string>;
  /** The command is killed when stdout or stderr grow past this many bytes. */
  maxBufferBytes: number;
}

/**
 * The agent asks the executor to call a function of a task module (one the agent loads too) on
 * one of the executor's Workers.
 */
export interface CallMessage {
  t: "call";
  /** The agent's number for this call, unique per executor (shared with its commands). */
  id: number;
  /** The module's name, as the agent knows it (`--module name=path`). */
  module: string;
  /** The export's name. */
  export: string;
  /** The arguments, as JSON. */
  args: unknown[];
}

/**
 * Agent to executor. `kill` ends a command or a function call by its id. `ping` proves the agent
 * still listens: without it the executor ends.
 */
export type ToExecutor = SpawnMessage | CallMessage | { t: "kill"; id: number } | { t: "ping" };

/** Executor to agent. `beat` proves the node still answers. */
export type FromExecutor =
  | { t: "ready"; node: string; pid: number }
  | { t: "beat" }
  | {
    t: "exit";
    id: number;
    exitCode: number | null;
    signal: string | null;
    stdout: string;
    stderr: string;
    /** CPU time and peak memory, where the executor's node could measure them. */
    usage?: { cpuMs?: number; maxRssKiB?: number };
  }
  | { t: "error"; id: number; message: string }
  /** A function call ended: its result (absent for `undefined`), or what it threw. */
  | { t: "returned"; id: number; value?: unknown }
  | { t: "threw"; id: number; error: WireError };

/** How often each side proves it is alive. */
export const BEAT_MS = 500;
/**
 * The most a command run by an executor may print, per stream: its whole output travels in one
 * line. A command that prints more is killed and fails with a message that says so.
 */
export const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;
/**
 * The largest result of a function call run by an executor, as JSON: it travels in one line.
 * A larger one fails its task with a message that says what to do instead.
 */
export const MAX_RESULT_BYTES = 16 * 1024 * 1024;
/**
 * The longest line a side accepts: both streams of a command at their bound, escaped at worst
 * (`\u0000`), which is also more than a function's result (already JSON) or a call's arguments
 * (at most the agent's largest batch, 64 MiB).
 */
export const MAX_LINE_BYTES = 2 * 6 * MAX_OUTPUT_BYTES + 64 * 1024;

/**
 * Splits a byte stream into lines and hands each, parsed, to `onMessage`; calls `onBad` once and
 * stops on a line longer than `maxBytes` or one that is not a JSON object with a string `t`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lineReader } from "./protocol.ts";
 * const got: unknown[] = [];
 * const feed = lineReader((m) => got.push(m), (why) => got.push(why), 64);
 * feed(new TextEncoder().encode('{"t":"beat"}\n{"t":'));
 * feed(new TextEncoder().encode('"ping"}\n'));
 * assert.deepEqual(got, [{ t: "beat" }, { t: "ping" }]);
 * feed(new TextEncoder().encode("x".repeat(65)));
 * assert.match(String(got[2]), /longer than 64 bytes/);
 * ```
 */
export function lineReader(
  onMessage: (message: { t: string }) => void,
  onBad: (why: string) => void,
  maxBytes: number = MAX_LINE_BYTES,
): (chunk: Uint8Array) => void {
  const decoder = new TextDecoder();
  let pending = "";
  let bad = false;
  return (chunk) => {
    if (bad) return;
    pending += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (line === "") continue;
      let message: unknown;
      try {
        message = JSON.parse(line);
      } catch {
        message = undefined;
      }
      if (typeof (message as { t?: unknown })?.t !== "string") {
        bad = true;
        onBad(`a line that is not a message: ${JSON.stringify(line.slice(0, 120))}`);
        return;
      }
      onMessage(message as { t: string });
    }
    if (pending.length > maxBytes) {
      bad = true;
      onBad(`a line longer than ${maxBytes} bytes`);
    }
  };
}

/** Checks a spawn request field by field; returns what is wrong, or undefined. */
export function spawnProblem(m: Partial<SpawnMessage>): string | undefined {
  if (!Number.isSafeInteger(m.id)) return `'id' must be an integer, got ${JSON.stringify(m.id)}`;
  if (
    !Array.isArray(m.argv) || m.argv.length === 0 || m.argv.some((a) => typeof a !== "string")
  ) {
    return "'argv' must be a non-empty array of strings";
  }
  if (m.cwd !== undefined && typeof m.cwd !== "string") return "'cwd' must be a string";
  if (
    m.env !== undefined &&
    (typeof m.env !== "object" || m.env === null ||
      Object.values(m.env).some((v) => typeof v !== "string"))
  ) {
    return "'env' must map names to strings";
  }
  if (!Number.isSafeInteger(m.maxBufferBytes) || (m.maxBufferBytes as number) < 1) {
    return "'maxBufferBytes' must be a positive integer";
  }
  return undefined;
}

/**
 * Checks a call request field by field; returns what is wrong, or undefined.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { callProblem } from "./protocol.ts";
 * assert.equal(callProblem({ id: 1, module: "m", export: "f", args: [] }), undefined);
 * assert.equal(callProblem({ id: 1, module: "m", export: "f" }), "'args' must be an array");
 * ```
 */
export function callProblem(m: Partial<CallMessage>): string | undefined {
  if (!Number.isSafeInteger(m.id)) return `'id' must be an integer, got ${JSON.stringify(m.id)}`;
  if (typeof m.module !== "string" || m.module === "") return "'module' must be a module's name";
  if (typeof m.export !== "string" || m.export === "") return "'export' must be an export's name";
  if (!Array.isArray(m.args)) return "'args' must be an array";
  return undefined;
}
