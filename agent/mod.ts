/**
 * The pilot agent: an HTTP server (Deno, Bun or Node) that runs asyncflow
 * tasks inside an allocation for a remote engine's `RemoteBackend`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { startAgent } from "@asyncflow/asyncflow/agent";
 * await using agent = await startAgent({ cores: 1 });
 * assert.equal(agent.token.length, 43);
 * ```
 *
 * @module
 */
export { startAgent } from "./start_agent.ts";
export type { AgentHandle, AgentOptions } from "./start_agent.ts";
export type { ConnectionLimits } from "./serve_limits.ts";
export type { LogLevel } from "./agent_log.ts";
export { makeSelfSignedCertificate } from "./self_signed.ts";
export type { SelfSignedCertificate, SelfSignedOptions } from "./self_signed.ts";
export { nodeAddress } from "./node_address.ts";
export { NodeLostError } from "./executor/node_executor.ts";
export { srunExecutorArgv } from "./executor/node_executors.ts";
