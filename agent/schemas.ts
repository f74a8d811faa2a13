/**
 * Request bodies of the agent's API, checked with zod. A task is checked on
 * its own, so one bad task of a batch is rejected without failing the others.
 *
 * @module
 */
import { z } from "zod";
import { checkRelativePath } from "./file_paths.ts";
import { SHA256 } from "./blob_store.ts";

/** Task ids: what the engine makes (`task.000001`, `task.000001#2`) and other tame names. */
export const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9._:#@+-]{0,199}$/;
/** Session ids: 32 hex digits, made by the agent. */
export const SESSION_ID = /^[0-9a-f]{32}$/;
/** The most tasks one request may carry. */
export const MAX_BATCH = 4096;
/** A W3C traceparent of version 00 (neither id all zeros is checked by the tracer, not here). */
const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

const resources = z.strictObject({
  ranks: z.int().min(1).max(1_000_000).optional(),
  coresPerRank: z.int().min(1).max(1_000_000).optional(),
  gpusPerRank: z.int().min(0).max(1_000_000).optional(),
  memoryMb: z.int().min(1).optional(),
  walltimeMs: z.int().min(1).optional(),
});

const common = {
  id: z.string().regex(
    TASK_ID,
    "a task id is 1-200 characters of letters, digits and ._:#@+- (starting with a letter or digit)",
  ),
  name: z.string().max(200).optional(),
  priority: z.number().finite().optional(),
  resources: resources.optional(),
  traceparent: z.string().regex(
    TRACEPARENT,
    "a traceparent is W3C's '00-<32 hex>-<16 hex>-<2 hex>', lower case",
  ).optional(),
  tracestate: z.string().max(512).optional(),
};

const name = z.string().min(1).max(200);

/** A function task. */
export const functionTask = z.strictObject({
  ...common,
  kind: z.literal("function"),
  fn: z.strictObject({ module: name, export: name }),
  args: z.array(z.unknown()).max(10_000),
});

/** A command. */
export const executableTask = z.strictObject({
  ...common,
  kind: z.literal("executable"),
  command: z.union([z.string().min(1), z.array(z.string()).min(1)]),
  cwd: z.string().min(1).max(4096).optional(),
  env: z.record(
    z.string().regex(/^[^=\0]+$/, "an environment variable name has no '=' or NUL"),
    z.string(),
  )
    .optional(),
  captureOutput: z.boolean().optional(),
  staged: z.boolean().optional(),
}).refine((t) => !t.staged || t.cwd === undefined || relativePathProblem(t.cwd) === undefined, {
  message: "the cwd of a staged command is a relative path inside the session's staging " +
    "directory (no '/' first, no '..', no empty or '.' component)",
  path: ["cwd"],
});

/** Either kind of task. */
export const wireTask = z.discriminatedUnion("kind", [functionTask, executableTask]);

/** `POST /v1/sessions/{sid}/tasks`. */
export const submitBody = z.strictObject({
  tasks: z.array(z.unknown()).max(MAX_BATCH, `a batch holds at most ${MAX_BATCH} tasks`),
});

/** `POST /v1/sessions`. */
export const openBody = z.strictObject({
  client: z.string().max(200).optional(),
  heartbeatTimeoutMs: z.int().min(100).max(86_400_000).optional(),
});

/** Why a client's relative path is refused, or `undefined`. */
function relativePathProblem(path: string): string | undefined {
  try {
    checkRelativePath(path);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** A relative path of a session's staging directory, checked as text (`file_paths.ts`). */
const relativePath = z.string().superRefine((path, ctx) => {
  const why = relativePathProblem(path);
  if (why !== undefined) ctx.addIssue({ code: "custom", message: why });
});

/** At most this many paths per request of the file routes. */
export const MAX_FILES = 10_000;

/** `POST /v1/sessions/{sid}/files`: directories to make and blobs to place. */
export const placeBody = z.strictObject({
  dirs: z.array(relativePath).max(MAX_FILES).optional(),
  files: z.array(z.strictObject({
    path: relativePath,
    sha256: z.string().regex(SHA256, "a sha256 is 64 lowercase hex digits"),
  })).max(MAX_FILES).optional(),
});

/** `POST /v1/sessions/{sid}/files/fingerprints`. */
export const fingerprintsBody = z.strictObject({
  paths: z.array(relativePath).min(1).max(MAX_FILES),
});

/** The first problem zod found, in one line: `tasks[3].command: Invalid input`. */
export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return "invalid body";
  const path = issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("");
  return `${path.replace(/^\./, "") || "body"}: ${issue.message}`;
}
