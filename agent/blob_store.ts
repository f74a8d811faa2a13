/**
 * The agent's content-addressed store of uploaded files, `{dir}/blobs/{sha256}`, shared by every
 * session: a file a client sent once is not sent again, for any task of any session. A blob
 * comes in streamed to a temporary file, hashed as it streams, and is renamed into place only
 * when it is complete and its hash is its name: a cut, oversized or wrong upload leaves nothing.
 *
 * @module
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { open, rename, stat, unlink } from "node:fs/promises";
import { BlobQuota } from "./blob_quota.ts";

/** Bytes gathered before a write to the temporary file. */
const WRITE_BYTES = 1024 * 1024;

export { SHA256 } from "./blob_quota.ts";

/**
 * Why an upload was refused; `status` is the HTTP answer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtempSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { BlobStore, UploadError } from "./blob_store.ts";
 * const store = new BlobStore(mkdtempSync(`${tmpdir()}/blobs-`), 4);
 * const refused = await store.put("0".repeat(64), new Blob(["too long"]).stream()).catch((e) => e);
 * assert.ok(refused instanceof UploadError && refused.status === 413);
 * ```
 */
export class UploadError extends Error {
  /** Always `"UploadError"`. */
  override name = "UploadError";
  /** 400 (cut short), 413 (too large), 422 (wrong hash) or 507 (no space on the disk or in the store). */
  readonly status: 400 | 413 | 422 | 507;
  /** The problem's code. */
  readonly code: string;

  /** An upload refused with `status` and `code`. */
  constructor(status: 400 | 413 | 422 | 507, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** What the store has done, for `/v1/metrics`. */
export interface BlobMetrics {
  /** Blobs stored since the agent started. */
  stored: number;
  /** Their bytes. */
  bytesStored: number;
  /** Uploads refused (cut, too large, wrong hash, no space). */
  refused: number;
  /** Files placed in staging directories. */
  placed: number;
  /** Files sent back to clients, and their bytes. */
  sent: number;
  bytesSent: number;
  /** The bytes the store holds now, and the most it may (`maxStoreBytes`). */
  bytesHeld: number;
  maxStoreBytes: number;
  /** Blobs removed to make room (the least recently used). */
  evicted: number;
}

/**
 * The agent's blob store.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtempSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { BlobStore } from "./blob_store.ts";
 * const store = new BlobStore(mkdtempSync(`${tmpdir()}/blobs-`), 1024);
 * const sha = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"; // "hello"
 * await store.put(sha, new Blob(["hello"]).stream(), 5);
 * assert.equal(await store.size(sha), 5);
 * await assert.rejects(store.put(sha.replace("2", "3"), new Blob(["hello"]).stream()), /SHA-256 is 2cf2/);
 * ```
 */
export class BlobStore {
  /** The largest blob, in bytes. */
  readonly maxBytes: number;
  /** What the store has done. */
  readonly metrics: BlobMetrics = {
    stored: 0,
    bytesStored: 0,
    refused: 0,
    placed: 0,
    sent: 0,
    bytesSent: 0,
    bytesHeld: 0,
    maxStoreBytes: 0,
    evicted: 0,
  };
  readonly #dir: string;
  readonly #tmp: string;
  readonly #quota: BlobQuota;

  /**
   * Opens the store in `{agentDir}/blobs`; temporary files a killed agent left are removed.
   *
   * @param agentDir The agent's directory.
   * @param maxBytes The largest blob.
   * @param maxStoreBytes The most all blobs may take (see `blob_quota.ts`). Default: no bound.
   */
  constructor(agentDir: string, maxBytes: number, maxStoreBytes = Infinity) {
    this.#dir = `${agentDir}/blobs`;
    this.#tmp = `${this.#dir}/.tmp`;
    this.maxBytes = maxBytes;
    rmSync(this.#tmp, { recursive: true, force: true });
    mkdirSync(this.#tmp, { recursive: true, mode: 0o700 });
    this.#quota = new BlobQuota(this.#dir, maxStoreBytes);
    this.metrics.maxStoreBytes = maxStoreBytes;
    this.metrics.bytesHeld = this.#quota.heldBytes;
  }

  /** The file of a blob. */
  path(sha: string): string {
    return `${this.#dir}/${sha}`;
  }

  /**
   * The size of a stored blob, or `undefined` when the store has none of that name. Asking marks
   * the blob used: a client asks before it places it.
   */
  async size(sha: string): Promise<number | undefined> {
    try {
      const s = await stat(this.path(sha));
      if (!s.isFile()) return undefined;
      this.#quota.used(sha);
      return s.size;
    } catch {
      return undefined;
    }
  }

  /**
   * Stores the body as blob `sha`: streamed to a temporary file while hashed and counted, synced,
   * then renamed into place when complete and matching.
   *
   * @param sha The hash the client claims.
   * @param body The bytes.
   * @param declared The body's `Content-Length`, when it has one.
   * @returns The blob's size.
   * @throws {UploadError} When the body is over the limit, short of its length, of another hash,
   * or the disk or the store is full; nothing of it is left.
   */
  async put(sha: string, body: ReadableStream<Uint8Array>, declared?: number): Promise<number> {
    if (declared !== undefined && !this.#quota.makeRoom(declared)) {
      this.metrics.refused++;
      throw this.#storeFull();
    }
    const tmp = `${this.#tmp}/${randomBytes(12).toString("hex")}`;
    const file = await open(tmp, "wx", 0o600);
    let kept = false;
    let reserved = 0;
    try {
      const hash = createHash("sha256");
      let bytes = 0;
      // Chunks (16–64 KiB from the servers) are gathered into larger writes: a write per chunk
      // costs more than the copy.
      const buffer = new Uint8Array(WRITE_BYTES);
      let held = 0;
      const reader = body.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read().catch((error) => {
            throw new UploadError(400, "upload_cut", `the upload was cut: ${error.message}`);
          });
          if (done) break;
          bytes += value.length;
          if (bytes > this.maxBytes) throw this.#tooLarge();
          if (!this.#quota.makeRoom(value.length)) throw this.#storeFull();
          this.#quota.reserve(value.length);
          reserved += value.length;
          hash.update(value);
          if (held + value.length > buffer.length) {
            await writeAll(file, buffer.subarray(0, held));
            held = 0;
          }
          if (value.length >= buffer.length) await writeAll(file, value);
          else {
            buffer.set(value, held);
            held += value.length;
          }
        }
        await writeAll(file, buffer.subarray(0, held));
      } finally {
        reader.releaseLock();
      }
      if (declared !== undefined && bytes !== declared) {
        throw new UploadError(
          400,
          "upload_cut",
          `the upload ended after ${bytes} of its ${declared} bytes: send it again`,
        );
      }
      const got = hash.digest("hex");
      if (got !== sha) {
        throw new UploadError(
          422,
          "hash_mismatch",
          `the content's SHA-256 is ${got}, not ${sha}, the name it was sent under ` +
            "(the file changed while it was sent?): nothing was stored",
        );
      }
      await file.sync();
      await file.close();
      await rename(tmp, this.path(sha));
      kept = true;
      this.#quota.added(sha, bytes);
      this.metrics.stored++;
      this.metrics.bytesStored += bytes;
      return bytes;
    } catch (error) {
      this.metrics.refused++;
      throw noSpace(error);
    } finally {
      this.#quota.release(reserved);
      this.metrics.bytesHeld = this.#quota.heldBytes;
      this.metrics.evicted = this.#quota.evicted;
      if (!kept) {
        await file.close().catch(() => {});
        await unlink(tmp).catch(() => {});
      }
    }
  }

  /** The refusal of a blob over the limit. */
  #tooLarge(): UploadError {
    return new UploadError(
      413,
      "too_large",
      `the file is larger than the agent's limit of ${this.maxBytes} bytes (maxFileBytes)`,
    );
  }

  /** The refusal of a blob the store has no room for, even without its unused blobs. */
  #storeFull(): UploadError {
    return new UploadError(
      507,
      "store_full",
      `the agent's store of uploaded files is full: it holds ${this.#quota.heldBytes} bytes of ` +
        `its ${this.#quota.maxBytes} (maxStoreBytes), and what it holds was used in the last ` +
        "minute: send the file again later, or start the agent with a larger --max-store-bytes",
    );
  }

  /** Refuses, before reading, a body whose declared length is over the limit. */
  checkDeclared(declared: number | undefined): void {
    if (declared !== undefined && declared > this.maxBytes) {
      this.metrics.refused++;
      throw this.#tooLarge();
    }
  }
}

/** Writes all of `data` (a short write is continued). */
async function writeAll(
  file: {
    write(data: Uint8Array, offset: number, length: number): Promise<{ bytesWritten: number }>;
  },
  data: Uint8Array,
): Promise<void> {
  let at = 0;
  while (at < data.length) {
    const { bytesWritten } = await file.write(data, at, data.length - at);
    at += bytesWritten;
  }
}

/**
 * A full disk as the 507 it is answered with; other errors as they are.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { noSpace, UploadError } from "./blob_store.ts";
 * const full = noSpace(Object.assign(new Error("ENOSPC: no space left"), { code: "ENOSPC" }));
 * assert.ok(full instanceof UploadError && full.status === 507);
 * ```
 */
export function noSpace(error: unknown): unknown {
  const code = (error as { code?: string }).code;
  if (code !== "ENOSPC" && code !== "EDQUOT") return error;
  return new UploadError(
    507,
    "insufficient_storage",
    `the agent's disk is full (${(error as Error).message}): nothing was kept; free space on ` +
      "it (or start the agent with --dir on a larger one) and send it again",
  );
}
