/**
 * The floor of the worker pool benchmark: a worker that posts back every
 * message it receives, with the runtime's bare messaging (`self` on Deno and
 * Bun, `parentPort` on Node). No pool can answer faster than this.
 *
 * @module
 */
import { parentPort } from "node:worker_threads";
import { runtime } from "../src/host/runtime.ts";

const g = globalThis as unknown as {
  Deno?: unknown;
  Bun?: unknown;
  postMessage(message: unknown): void;
  addEventListener(type: "message", listener: (event: MessageEvent) => void): void;
};
if (runtime !== "node") {
  g.addEventListener("message", (event) => g.postMessage(event.data));
} else {
  parentPort!.on("message", (data: unknown) => parentPort!.postMessage(data));
}
