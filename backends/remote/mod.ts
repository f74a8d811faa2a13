/**
 * The client of the pilot agent: a {@linkcode RemoteBackend} runs an
 * engine's tasks on an `asyncflow agent` over HTTP.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RemoteBackend } from "@asyncflow/asyncflow/remote";
 * const backend = new RemoteBackend({ url: "http://127.0.0.1:9", token: "t", name: "hpc" });
 * assert.equal(backend.name, "hpc");
 * ```
 *
 * @module
 */
export { RemoteBackend } from "./remote_backend.ts";
export type { RemoteBackendOptions } from "./remote_backend.ts";
export type { TaskModule } from "./addressing.ts";
export { AgentHttpError } from "./http.ts";
export type { Endpoint } from "./http.ts";
export { certificateFingerprint, pinnedFetch } from "./pinned_fetch.ts";
export type { CertificatePin, PinnedFetch, PinnedRequest } from "./pinned_fetch.ts";
