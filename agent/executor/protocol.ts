/**
 * What the agent and a node executor say to each other: one JSON object per line over the
 * executor's Slurm step (the agent writes to its stdin, reads its stdout). Every line is bounded
 * and checked on arrival; a line that is too long or of the wrong shape ends the link.
 *
 * @module
 */

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

/** Agent to executor. `ping` proves the agent still listens: without it the executor ends. */
export type ToExecutor = SpawnMessage | { t: "kill"; id: number } | { t: "ping" };

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
  | { t: "error"; id: number; message: string };

/** How often each side proves it is alive. */
export const BEAT_MS = 500;
/**
 * The most a command run by an executor may print, per stream: its whole output travels in one
 * line. A command that prints more is killed and fails with a message that says so.
 */
export const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;
/** The longest line a side accepts: both streams at their bound, escaped at worst (`\u0000`). */
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
