/**
 * `/v1/sessions/{sid}/tasks`: submit a batch, list the tasks, read one, cancel one, and read a
 * task's stdout, stderr or large result by range.
 *
 * @module
 */
import { open } from "node:fs/promises";
import { type Context, Hono, type MiddlewareHandler } from "hono";
import type { AgentCore } from "../agent_core.ts";
import { submitBody, TASK_ID } from "../schemas.ts";
import { describe, type TaskRecord } from "../session.ts";
import { type AgentEnv, intParam, problem, readJson } from "./_problem.ts";

const MAX_READ = 4 * 1024 * 1024;
const MAX_LISTED = 10_000;

/** The task routes of a session; the session is already on the request. */
export function taskRoutes(
  core: AgentCore,
  options: { maxBodyBytes: number; limit: (maxSize: number) => MiddlewareHandler },
): Hono<AgentEnv> {
  const app = new Hono<AgentEnv>();
  app.post("/", options.limit(options.maxBodyBytes), async (c) => {
    const body = await readJson(c, submitBody);
    if (body instanceof Response) return body;
    return c.json({ results: core.submit(c.get("session"), body.tasks) });
  });

  app.get("/", (c) => {
    const s = c.get("session");
    const offset = intParam(c.req.query("offset"), 0);
    const max = intParam(c.req.query("limit"), MAX_LISTED);
    if (offset === undefined || max === undefined) {
      return problem(c, 400, "bad_request", "'offset' and 'limit' must be non-negative integers");
    }
    const items: string[] = [];
    let i = 0;
    for (const rec of s.tasks.values()) {
      if (i++ < offset) continue;
      if (items.length >= Math.min(max, MAX_LISTED)) break;
      // With the task's kind and name, which only its first event carries.
      const last = rec.lastEvent === undefined
        ? { id: rec.id, state: rec.state }
        : JSON.parse(rec.lastEvent);
      items.push(JSON.stringify({ ...describe(rec.task), ...last }));
    }
    return c.body(
      `{"seq":${s.log.last},"total":${s.tasks.size},"tasks":[${items.join(",")}]}`,
      200,
      { "content-type": "application/json" },
    );
  });

  app.get("/:id", (c) => {
    const rec = findTask(c);
    if (rec instanceof Response) return rec;
    const last = rec.lastEvent ?? "null";
    return c.body(
      `{"id":${
        JSON.stringify(rec.id)
      },"kind":"${rec.task.kind}","state":"${rec.state}","last":${last}}`,
      200,
      { "content-type": "application/json" },
    );
  });

  app.post("/:id/cancel", (c) => {
    const rec = findTask(c);
    if (rec instanceof Response) return rec;
    core.cancel(rec);
    return c.json({ id: rec.id, state: rec.state });
  });

  app.get("/:id/:which{stdout|stderr|result}", async (c) => {
    const rec = findTask(c);
    if (rec instanceof Response) return rec;
    const which = c.req.param("which") as "stdout" | "stderr" | "result";
    const offset = intParam(c.req.query("offset"), 0);
    const max = intParam(c.req.query("limit"), 1024 * 1024);
    if (offset === undefined || max === undefined) {
      return problem(c, 400, "bad_request", "'offset' and 'limit' must be non-negative integers");
    }
    // No file: nothing printed yet (outputs are written when the command ends), or no large result.
    const chunk = await readRange(core.outputPath(rec, which), offset, Math.min(max, MAX_READ)) ??
      (which === "result" ? undefined : { data: new Uint8Array(0), size: 0 });
    if (chunk === undefined) {
      return problem(c, 404, "not_found", `task '${rec.id}' has no large result`);
    }
    return c.body(chunk.data, 200, {
      "content-type": "application/octet-stream",
      "x-total-bytes": String(chunk.size),
      "x-offset": String(offset),
    });
  });
  return app;
}

function findTask(c: Context<AgentEnv>): TaskRecord | Response {
  const id = c.req.param("id") ?? "";
  if (!TASK_ID.test(id)) {
    return problem(c, 400, "bad_request", `malformed task id ${JSON.stringify(id.slice(0, 64))}`);
  }
  const rec = c.get("session").tasks.get(id);
  if (rec === undefined) return problem(c, 404, "unknown_task", `no task '${id}' in this session`);
  return rec;
}

/** Up to `max` bytes of a file from `offset`, with its size; `undefined` when there is no file. */
async function readRange(
  path: string,
  offset: number,
  max: number,
): Promise<{ data: Uint8Array<ArrayBuffer>; size: number } | undefined> {
  let file;
  try {
    file = await open(path, "r");
  } catch {
    return undefined;
  }
  try {
    const size = (await file.stat()).size;
    const length = Math.max(0, Math.min(max, size - offset));
    const data = new Uint8Array(length);
    if (length > 0) await file.read(data, 0, length, offset);
    return { data, size };
  } finally {
    await file.close();
  }
}
