/**
 * The pilot agent: an HTTP server (Deno, Bun or Node) that runs asyncflow
 * tasks inside an allocation for a remote engine's `RemoteBackend`.
 *
 * @example
 * ```ts
 * import { startAgent } from "./mod.ts";
 * await using agent = await startAgent({ cores: 1 });
 * console.assert(agent.token.length === 43);
 * ```
 *
 * @module
 */
export { startAgent } from "./agent.ts";
export type { AgentHandle, AgentOptions } from "./agent.ts";
export type { ConnectionLimits } from "./serve_limits.ts";
export { agentCommand } from "./main.ts";
