/**
 * `GET /v1/health` and `GET /v1/metrics`: whether the agent serves, on what, and its counters;
 * `POST /v1/walltime/refresh`: the allocation's end, asked of Slurm again.
 *
 * @module
 */
import { Hono } from "hono";
import { API_VERSION } from "../../protocol/v1.ts";
import type { AgentCore } from "../agent_core.ts";
import type { BlobMetrics } from "../blob_store.ts";

/** The status routes, mounted under `/v1`; `files` counts the file routes' work. */
export function statusRoutes(core: AgentCore, files: () => BlobMetrics): Hono {
  return new Hono()
    .get("/health", (c) =>
      c.json({
        status: "ok",
        version: API_VERSION,
        uptimeMs: Date.now() - core.started,
        launch: core.launch,
        allocation: core.allocation,
      }))
    .get("/metrics", (c) => c.json({ ...core.metrics(), files: files() }))
    // After the job's time limit changed (scontrol update): the agent asks Slurm now.
    .post("/walltime/refresh", async (c) => c.json({ walltime: await core.refreshWalltime() }));
}
