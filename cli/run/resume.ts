/**
 * Reads a trace for `--resume`: the results of the tasks that completed, by
 * memo key (the `memoKey` and `result` of `done` events, written when the
 * engine records results), and the fingerprints of their declared files (`files`).
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { readTrace } from "../../graph/trace_reader.ts";
import type { FileFingerprint, FileRecord } from "../../mod.ts";
import { UsageError } from "../usage.ts";

/**
 * The memo key → result map of a trace file.
 *
 * @param path The trace (JSONL).
 * @returns The results to resume from (possibly empty).
 * @throws {UsageError} When the file cannot be read or a line is not JSON (naming the line).
 *
 * @example
 * ```ts ignore
 * import { readResumeMap } from "./resume.ts";
 * const resume = await readResumeMap("run.jsonl");
 * await using flow = await WorkflowEngine.create({ resume, recordResults: true });
 * ```
 */
export async function readResumeMap(path: string): Promise<Map<string, unknown>> {
  return (await readResume(path)).results;
}

/** What a run is resumed from: results and the declared files' fingerprints, by memo key. */
export interface ResumeData {
  /** The results of the tasks that completed. */
  results: Map<string, unknown>;
  /** The fingerprints recorded for those that declared files. */
  files: Map<string, FileRecord>;
}

/**
 * The results and file fingerprints of a trace file.
 *
 * @param path The trace (JSONL).
 * @returns What to resume from (possibly empty).
 * @throws {UsageError} When the file cannot be read or a line is not JSON (naming the line).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtempSync, writeFileSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { WorkflowEngine } from "@asyncflow/asyncflow";
 * import { readResume } from "@asyncflow/asyncflow/cli";
 * const trace = `${mkdtempSync(`${tmpdir()}/trace-`)}/trace.jsonl`;
 * {
 *   await using flow = await WorkflowEngine.create({ recordResults: true });
 *   flow.subscribe((e) => writeFileSync(trace, JSON.stringify(e) + "\n", { flag: "a" }));
 *   await flow.functionTask(function one() { return 1; })();
 * }
 * const { results, files } = await readResume(trace);
 * await using flow = await WorkflowEngine.create({ resume: results, resumeFiles: files });
 * const events: string[] = [];
 * flow.subscribe((e) => events.push(e.type));
 * assert.equal(await flow.functionTask(function one() { return 2; })(), 1); // the recorded result
 * assert.ok(!events.includes("submitted"));
 * ```
 */
export async function readResume(path: string): Promise<ResumeData> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new UsageError(
      "run",
      `cannot read the trace to resume from '${path}': ${code ?? String(error)}`,
    );
  }
  return resumeOf(text, path);
}

/**
 * The memo key → result map of trace text, read by the one trace reader (`readTrace`), so resume
 * and the report agree on what a damaged trace is: a cut-off last line is dropped, a bad line
 * elsewhere is an error.
 *
 * @param text JSONL events.
 * @param path The file name, for messages.
 * @returns The results to resume from.
 * @throws {UsageError} Naming the file and the line, on a line that is not an event, except a
 *   cut-off last line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resumeMapOf } from "./resume.ts";
 * const done = { type: "done", time: 1, uid: "task.000001", memoKey: "k1", result: 42 };
 * assert.equal(resumeMapOf(JSON.stringify(done) + "\n", "t.jsonl").get("k1"), 42);
 * ```
 */
export function resumeMapOf(text: string, path: string): Map<string, unknown> {
  return resumeOf(text, path).results;
}

/**
 * The results and file fingerprints of trace text (see {@linkcode resumeMapOf}). Fingerprints
 * of an unexpected shape are left out: that task then runs again.
 *
 * @param text JSONL events.
 * @param path The file name, for messages.
 * @returns What to resume from.
 * @throws {UsageError} As {@linkcode resumeMapOf}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resumeOf } from "./resume.ts";
 * const out = { path: "out/a", size: 1, mtimeMs: 2, sha256: "f".repeat(64) };
 * const done = { type: "done", time: 1, uid: "task.000001", memoKey: "k1", result: 42,
 *   files: { inputs: [], outputs: [out] } };
 * const { files } = resumeOf(JSON.stringify(done) + "\n", "t.jsonl");
 * assert.deepEqual(files.get("k1")?.outputs, [out]);
 * ```
 */
export function resumeOf(text: string, path: string): ResumeData {
  let events;
  try {
    events = readTrace(text);
  } catch (error) {
    throw new UsageError(
      "run",
      `${path}: ${error instanceof Error ? error.message : error}; is this an asyncflow trace?`,
    );
  }
  const results = new Map<string, unknown>();
  const files = new Map<string, FileRecord>();
  for (const event of events) {
    // A missing `result` is `undefined`: JSON drops undefined values; the trace writer drops the
    // memo key with any result it cannot write, so a key without a result means exactly that.
    if (event.type !== "done" || typeof event.memoKey !== "string") continue;
    if (typeof event.resultFile === "string") {
      // Only the trace writer's own names: a trace cannot point resume anywhere else.
      if (!/^results\/[\w.#-]+\.json$/.test(event.resultFile) || event.resultFile.includes("..")) {
        continue;
      }
      // A large result lives beside the trace; without that file the task simply runs again.
      const result = readResultFile(join(dirname(path), event.resultFile));
      if (result.found) results.set(event.memoKey, result.value);
    } else results.set(event.memoKey, event.result);
    if (isFileRecord(event.files)) files.set(event.memoKey, event.files);
  }
  return { results, files };
}

function isFileRecord(value: unknown): value is FileRecord {
  const v = value as FileRecord | undefined;
  return typeof v === "object" && v !== null && Array.isArray(v.inputs) &&
    Array.isArray(v.outputs) && [...v.inputs, ...v.outputs].every(isFingerprint);
}

function isFingerprint(value: unknown): value is FileFingerprint {
  const f = value as FileFingerprint;
  return typeof f === "object" && f !== null && typeof f.path === "string" &&
    typeof f.size === "number" && typeof f.mtimeMs === "number" &&
    typeof f.sha256 === "string";
}

function readResultFile(path: string): { found: boolean; value?: unknown } {
  try {
    return { found: true, value: JSON.parse(readFileSync(path, "utf8")) };
  } catch {
    return { found: false };
  }
}
