/**
 * Ctrl-C handling, in one place. The first SIGINT (or SIGTERM) asks the run
 * to stop cleanly — the caller cancels its tasks, kills their processes and
 * flushes its trace; a second one exits at once.
 *
 * @module
 */
import process from "node:process";

/** The signals that stop a run, with the exit code each one means (128 + its number). */
export const STOP_SIGNALS = { SIGINT: 130, SIGTERM: 143 } as const;

/** A signal that stops a run. */
export type StopSignal = keyof typeof STOP_SIGNALS;

/**
 * Calls `handler` on the first SIGINT or SIGTERM; exits the process with
 * that signal's code on the second.
 *
 * @param handler Starts a clean stop.
 * @returns Removes the listeners (call it when the run ends).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import process from "node:process";
 * import { onStopSignal } from "./signals.ts";
 * const before = process.listenerCount("SIGINT");
 * const off = onStopSignal((signal) => console.error(`stopping on ${signal}`));
 * assert.equal(process.listenerCount("SIGINT"), before + 1);
 * off();
 * assert.equal(process.listenerCount("SIGINT"), before);
 * ```
 */
export function onStopSignal(handler: (signal: StopSignal) => void): () => void {
  let stopping = false;
  const listeners = (Object.keys(STOP_SIGNALS) as StopSignal[]).map((signal) => {
    const listener = () => {
      if (stopping) process.exit(STOP_SIGNALS[signal]);
      stopping = true;
      handler(signal);
    };
    process.on(signal, listener);
    return [signal, listener] as const;
  });
  return () => {
    for (const [signal, listener] of listeners) process.off(signal, listener);
  };
}
