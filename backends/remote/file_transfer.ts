/**
 * The client's side of moving files to and from an agent, on the runtime's `node:` built-ins
 * (looked up when first needed, so that the client still loads where there are none): a file
 * hashed as it is read, read as a stream, and a stream written to a temporary file renamed into
 * place. Nothing is held in memory whole.
 *
 * @module
 */
import type { FileFingerprint } from "../../src/task_files.ts";
import { nodeBuiltins } from "./_node_builtins.ts";

const CHUNK = 1024 * 1024;

const builtins = () => nodeBuiltins("staging files to the agent");

/** A file's fingerprint, and its inode (which, with size and time, says whether it changed). */
export interface LocalFile extends FileFingerprint {
  /** The inode number. */
  readonly ino: number;
}

/**
 * Fingerprints a file, hashing it as it is read; `undefined` when there is no file there.
 *
 * @param path The file (absolute).
 * @param shown The path as declared, for the fingerprint.
 * @throws {Error} When it is not a regular file, or cannot be read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtempSync, writeFileSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { fingerprint } from "./file_transfer.ts";
 * const path = `${mkdtempSync(`${tmpdir()}/fp-`)}/hello.txt`;
 * writeFileSync(path, "hello");
 * const fp = await fingerprint(path, "hello.txt");
 * assert.equal(fp?.sha256, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
 * assert.equal(await fingerprint(`${path}.none`, "none"), undefined);
 * ```
 */
export async function fingerprint(path: string, shown: string): Promise<LocalFile | undefined> {
  const { open } = builtins()("node:fs/promises");
  const { createHash } = builtins()("node:crypto");
  let file;
  try {
    file = await open(path, "r");
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    const s = await file.stat();
    if (!s.isFile()) throw new Error(`${path} is not a regular file`);
    const hash = createHash("sha256");
    const buffer = new Uint8Array(CHUNK);
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, CHUNK, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
    }
    return {
      path: shown,
      size: s.size,
      mtimeMs: s.mtimeMs,
      sha256: hash.digest("hex"),
      ino: s.ino,
    };
  } finally {
    await file.close();
  }
}

/**
 * The size, time and inode of a file, or `undefined` when there is none (to reuse a hash).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { statFile } from "./file_transfer.ts";
 * assert.equal(await statFile("/nonexistent/asyncflow"), undefined);
 * ```
 */
export async function statFile(
  path: string,
): Promise<{ size: number; mtimeMs: number; ino: number } | undefined> {
  const { stat } = builtins()("node:fs/promises");
  try {
    const s = await stat(path);
    return { size: s.size, mtimeMs: s.mtimeMs, ino: s.ino };
  } catch {
    return undefined;
  }
}

/**
 * A file's content as a stream, read chunk by chunk as the request takes it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtempSync, writeFileSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { readStream } from "./file_transfer.ts";
 * const path = `${mkdtempSync(`${tmpdir()}/rs-`)}/data`;
 * writeFileSync(path, "streamed");
 * assert.equal(await new Response(readStream(path)).text(), "streamed");
 * ```
 */
export function readStream(path: string): ReadableStream<Uint8Array> {
  const { open } = builtins()("node:fs/promises");
  let file: Awaited<ReturnType<typeof open>> | undefined;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      file ??= await open(path, "r");
      const buffer = new Uint8Array(CHUNK);
      const { bytesRead } = await file.read(buffer, 0, CHUNK, null);
      if (bytesRead > 0) return controller.enqueue(buffer.subarray(0, bytesRead));
      await file.close();
      controller.close();
    },
    async cancel() {
      await file?.close();
    },
  });
}

/**
 * Writes a stream to `dest`: to a temporary file beside it (its directory made if missing), then
 * renamed over it, so a reader never sees half a file and a cut transfer leaves nothing.
 *
 * @returns The SHA-256 of what was written, and its size.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { writeStream } from "./file_transfer.ts";
 * const dir = mkdtempSync(`${tmpdir()}/ws-`);
 * const { size } = await writeStream(new Blob(["back"]).stream(), `${dir}/out/result.txt`);
 * assert.equal(size, 4);
 * assert.equal(readFileSync(`${dir}/out/result.txt`, "utf8"), "back");
 * assert.deepEqual(readdirSync(`${dir}/out`), ["result.txt"]); // no temporary file left
 * ```
 */
export async function writeStream(
  body: ReadableStream<Uint8Array>,
  dest: string,
): Promise<{ sha256: string; size: number }> {
  const { open, mkdir, rename, unlink } = builtins()("node:fs/promises");
  const { createHash, randomBytes } = builtins()("node:crypto");
  const { dirname } = builtins()("node:path");
  await mkdir(dirname(dest), { recursive: true });
  const tmp = `${dest}.${randomBytes(6).toString("hex")}.part`;
  const file = await open(tmp, "wx");
  let renamed = false;
  try {
    const hash = createHash("sha256");
    let size = 0;
    const reader = body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      hash.update(value);
      size += value.length;
      let at = 0;
      while (at < value.length) at += (await file.write(value, at, value.length - at)).bytesWritten;
    }
    await file.close();
    await rename(tmp, dest);
    renamed = true;
    return { sha256: hash.digest("hex"), size };
  } finally {
    if (!renamed) {
      await file.close().catch(() => {});
      await unlink(tmp).catch(() => {});
    }
  }
}
