/**
 * Why the engine could not start — an agent that cannot be reached, a token
 * it refuses, a task module that does not load — in one line. A backend's
 * error names what it tried; the network's own reason sits at the end of its
 * `cause` chain, worded differently by each runtime (`ECONNREFUSED` on Node
 * and Bun, "Connection refused (os error 111)" on Deno, all behind "fetch
 * failed"), so the reason is read there and named the same way everywhere.
 *
 * @module
 */

interface Link {
  code?: unknown;
  message?: unknown;
  cause?: unknown;
}

const NETWORK: readonly [RegExp, string, string][] = [
  [
    /ECONNREFUSED|ConnectionRefused|connection refused/i,
    "connection refused (ECONNREFUSED)",
    "is the agent running, and is this its address?",
  ],
  [
    /ENOTFOUND|EAI_AGAIN|dns error|failed to lookup address/i,
    "host not found (ENOTFOUND)",
    "check the host name of the agent's address",
  ],
  [
    /ETIMEDOUT|timed out/i,
    "no answer (ETIMEDOUT)",
    "is the address reachable from here (a tunnel, a firewall)?",
  ],
  [
    /ECONNRESET|connection reset/i,
    "connection reset (ECONNRESET)",
    "is it an asyncflow agent, and does it speak TLS (https) or not?",
  ],
];

/**
 * One line for an error that stopped the engine from starting.
 *
 * @param error What `WorkflowEngine.create` threw.
 * @returns The error's own message, with "fetch failed" replaced by the network's reason.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeStartFailure } from "./start_failure.ts";
 * const refused = new Error("connect ECONNREFUSED 127.0.0.1:4000");
 * const failed = new TypeError("fetch failed", { cause: refused });
 * const error = new Error("cannot open a session on the agent at http://127.0.0.1:4000: fetch failed", { cause: failed });
 * assert.equal(
 *   describeStartFailure(error),
 *   "cannot open a session on the agent at http://127.0.0.1:4000: connection refused (ECONNREFUSED): " +
 *     "is the agent running, and is this its address?",
 * );
 * ```
 */
export function describeStartFailure(error: unknown): string {
  const chain: Link[] = [];
  for (let link = error as Link | undefined; link && chain.length < 8; link = link.cause as Link) {
    chain.push(link);
  }
  let top = firstLine(String(chain[0]?.message ?? error));
  // A backend's message often ends with its cause's: the reason below replaces it.
  const next = firstLine(String(chain[1]?.message ?? ""));
  if (next !== "" && top.endsWith(`: ${next}`)) top = top.slice(0, -next.length - 2);
  const said = chain.map((l) => `${String(l.code ?? "")} ${String(l.message ?? "")}`).join("\n");
  for (const [pattern, reason, advice] of NETWORK) {
    if (pattern.test(said)) return `${top}: ${reason}: ${advice}`;
  }
  const deepest = firstLine(String(chain.at(-1)?.message ?? ""));
  return chain.length > 1 && !top.includes(deepest) ? `${top}: ${deepest}` : top;
}

function firstLine(text: string): string {
  return text.split("\n")[0]!.trim();
}
