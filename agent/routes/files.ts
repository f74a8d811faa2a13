/**
 * A session's files: `HEAD|GET|PUT …/blobs/{sha256}` (the agent-wide content-addressed store),
 * `POST …/files` (place stored blobs at relative paths of the session's staging directory, and
 * make directories there), `GET …/files?path=` (a file of it, streamed) and
 * `POST …/files/fingerprints` (size, time and SHA-256 of files left there). Every path is the
 * client's and is checked (`file_paths.ts`); every upload is bounded and checked by hash
 * (`blob_store.ts`).
 *
 * @module
 */
import { createHash, randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { copyFile, type FileHandle, mkdir, open, rename, unlink } from "node:fs/promises";
import { type Context, Hono, type MiddlewareHandler } from "hono";
import type { AgentLog } from "../agent_log.ts";
import { type BlobStore, noSpace, SHA256, UploadError } from "../blob_store.ts";
import { BadPathError, resolveInside, stagingDir } from "../file_paths.ts";
import { fingerprintsBody, placeBody } from "../schemas.ts";
import { type AgentEnv, problem, readJson } from "./_problem.ts";

/** What the file routes need. */
export interface FileRouteOptions {
  /** The agent's directory (sessions' staging directories are in it). */
  dir: string;
  /** The blob store. */
  store: BlobStore;
  /** The body limit of a route, answering 413 above it. */
  limit: (maxSize: number) => MiddlewareHandler;
  /** Where stored and refused uploads are said. */
  log?: AgentLog;
}

const LIST_BODY = 4 * 1024 * 1024;
const CHUNK = 256 * 1024;

/**
 * `…/blobs`: the store, reached through a session (its token, its heartbeat).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtempSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { BlobStore } from "../blob_store.ts";
 * import { blobRoutes } from "./files.ts";
 * const dir = mkdtempSync(`${tmpdir()}/agent-`);
 * const app = blobRoutes({ dir, store: new BlobStore(dir, 1024), limit: () => async (_c, next) => await next() });
 * const res = await app.request(`/${"0".repeat(64)}`, { method: "HEAD" });
 * assert.deepEqual([res.status, res.headers.get("x-max-file-bytes")], [404, "1024"]);
 * ```
 */
export function blobRoutes(o: FileRouteOptions): Hono<AgentEnv> {
  const app = new Hono<AgentEnv>();
  const limits = { "x-max-file-bytes": String(o.store.maxBytes) };
  // Hono answers HEAD through the GET route, without the body.
  app.get("/:sha", async (c) => {
    const sha = c.req.param("sha");
    const size = SHA256.test(sha) ? await o.store.size(sha) : undefined;
    if (size === undefined) {
      c.header("x-max-file-bytes", limits["x-max-file-bytes"]);
      return problem(c, 404, "no_such_blob", `the agent's store has no blob ${sha.slice(0, 64)}`);
    }
    return c.json({ sha256: sha, size }, 200, { ...limits, "x-size": String(size) });
  });
  app.put("/:sha", async (c) => {
    const sha = c.req.param("sha");
    if (!SHA256.test(sha)) {
      return problem(
        c,
        400,
        "bad_request",
        "a blob is named by its SHA-256: 64 lowercase hex digits",
      );
    }
    // Already there: said at once, the body unread.
    const had = await o.store.size(sha);
    if (had !== undefined) return c.json({ sha256: sha, size: had, stored: false }, 200, limits);
    const header = c.req.header("content-length");
    const declared = header === undefined ? undefined : Number(header);
    try {
      o.store.checkDeclared(declared);
      const size = await o.store.put(sha, c.req.raw.body ?? new Blob([]).stream(), declared);
      o.log?.info("file stored", { session: c.get("session").id, sha256: sha, bytes: size });
      return c.json({ sha256: sha, size, stored: true }, 201, limits);
    } catch (error) {
      const e = noSpace(error);
      if (e instanceof UploadError) {
        o.log?.warn("upload refused", { session: c.get("session").id, sha256: sha, why: e.code });
      }
      return failure(c, e);
    }
  });
  return app;
}

/**
 * `…/files`: placing blobs, reading files, fingerprints, in the session's staging directory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtempSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { Hono } from "hono";
 * import { BlobStore } from "../blob_store.ts";
 * import type { Session } from "../session.ts";
 * import type { AgentEnv } from "./_problem.ts";
 * import { fileRoutes } from "./files.ts";
 * const dir = mkdtempSync(`${tmpdir()}/agent-`);
 * const app = new Hono<AgentEnv>().use(async (c, next) => {
 *   c.set("session", { id: "s" } as Session);
 *   await next();
 * }).route("/", fileRoutes({ dir, store: new BlobStore(dir, 1024), limit: () => async (_c, next) => await next() }));
 * const res = await app.request("/?path=..%2Ftoken");
 * assert.equal((await res.json()).error.code, "bad_path");
 * ```
 */
export function fileRoutes(o: FileRouteOptions): Hono<AgentEnv> {
  const app = new Hono<AgentEnv>();
  const root = (c: Context<AgentEnv>) => stagingDir(o.dir, c.get("session").id);

  app.post("/", o.limit(LIST_BODY), async (c) => {
    const body = await readJson(c, placeBody);
    if (body instanceof Response) return body;
    try {
      const dir = root(c);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const missing: string[] = [];
      for (const f of body.files ?? []) {
        if (await o.store.size(f.sha256) === undefined) missing.push(f.sha256);
      }
      if (missing.length > 0) {
        return c.json({
          error: {
            code: "blobs_missing",
            message:
              `${missing.length} blob(s) are not in the agent's store: PUT …/blobs/{sha256} first`,
          },
          missing: [...new Set(missing)],
        }, 409);
      }
      for (const d of body.dirs ?? []) await makeDir(await resolveInside(dir, d, true));
      for (const f of body.files ?? []) {
        await place(o.store.path(f.sha256), await resolveInside(dir, f.path, true));
        o.store.metrics.placed++;
      }
      return c.json({ placed: body.files?.length ?? 0 });
    } catch (error) {
      return failure(c, error);
    }
  });

  app.get("/", async (c) => {
    let file: FileHandle | undefined;
    try {
      const path = await resolveInside(root(c), c.req.query("path") ?? "");
      file = await openFile(path, c.req.query("path")!);
      if (file === undefined) return notThere(c, c.req.query("path")!);
      const size = (await file.stat()).size;
      o.store.metrics.sent++;
      o.store.metrics.bytesSent += size;
      return c.body(streamFile(file), 200, {
        "content-type": "application/octet-stream",
        "content-length": String(size),
      });
    } catch (error) {
      await file?.close().catch(() => {});
      return failure(c, error);
    }
  });

  app.post("/fingerprints", o.limit(LIST_BODY), async (c) => {
    const body = await readJson(c, fingerprintsBody);
    if (body instanceof Response) return body;
    try {
      const files = [];
      const missing: string[] = [];
      for (const p of body.paths) {
        const file = await openFile(await resolveInside(root(c), p), p);
        if (file === undefined) {
          missing.push(p);
          continue;
        }
        try {
          const s = await file.stat();
          files.push({ path: p, size: s.size, mtimeMs: s.mtimeMs, sha256: await hashFile(file) });
        } finally {
          await file.close();
        }
      }
      return c.json({ files, missing });
    } catch (error) {
      return failure(c, error);
    }
  });
  return app;
}

/** Copies a blob to its place: to a temporary file beside it, then renamed over it. */
async function place(blob: string, dest: string): Promise<void> {
  const tmp = `${dest}.${randomBytes(6).toString("hex")}.part`;
  try {
    // A copy (a clone where the file system can), not a link: a command that writes to its
    // input must not change the store, nor another task's copy of it.
    await copyFile(blob, tmp, constants.COPYFILE_FICLONE);
    await rename(tmp, dest);
  } catch (error) {
    await unlink(tmp).catch(() => {});
    if ((error as { code?: string }).code === "EISDIR") {
      throw new BadPathError(`cannot place a file at ${dest}: a directory is there`);
    }
    throw error;
  }
}

async function makeDir(path: string): Promise<void> {
  await mkdir(path).catch((error) => {
    if ((error as { code?: string }).code !== "EEXIST") throw error;
  });
}

/**
 * Opens a regular file without following a final symbolic link; `undefined` when there is none.
 *
 * @throws {BadPathError} When it is a symbolic link or not a regular file.
 */
async function openFile(path: string, shown: string): Promise<FileHandle | undefined> {
  let file: FileHandle;
  try {
    file = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "ENOENT") return undefined;
    if (code === "ELOOP") {
      throw new BadPathError(`${JSON.stringify(shown)} is a symbolic link the agent did not make`);
    }
    throw error;
  }
  if (!(await file.stat()).isFile()) {
    await file.close();
    throw new BadPathError(`${JSON.stringify(shown)} is not a regular file`);
  }
  return file;
}

/** A file's content as a stream read on demand, closed at its end or when the reader goes. */
function streamFile(file: FileHandle): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const buffer = new Uint8Array(CHUNK);
      const { bytesRead } = await file.read(buffer, 0, CHUNK, null);
      if (bytesRead === 0) {
        await file.close();
        controller.close();
      } else controller.enqueue(buffer.subarray(0, bytesRead));
    },
    cancel: () => file.close(),
  });
}

async function hashFile(file: FileHandle): Promise<string> {
  const hash = createHash("sha256");
  const buffer = new Uint8Array(CHUNK);
  for (;;) {
    const { bytesRead } = await file.read(buffer, 0, CHUNK, null);
    if (bytesRead === 0) return hash.digest("hex");
    hash.update(buffer.subarray(0, bytesRead));
  }
}

function notThere(c: Context, path: string): Response {
  return problem(
    c,
    404,
    "no_such_file",
    `${
      JSON.stringify(path)
    } is not in the session's staging directory (the command did not write it)`,
  );
}

/** The answer for an error of these routes: a refused path or upload, a full disk, else thrown. */
function failure(c: Context, error: unknown): Response {
  const e = noSpace(error);
  if (e instanceof UploadError) return problem(c, e.status, e.code, e.message);
  if (e instanceof BadPathError) return problem(c, 400, "bad_path", e.message);
  throw e;
}
