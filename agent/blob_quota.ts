/**
 * The bound on what the agent's blob store holds in all (`maxStoreBytes`). Every blob is in a
 * session's staging directory as a copy once placed, so a blob is only worth keeping for the next
 * client that would send it again: to make room, the least recently used ones go first — used
 * being stored, asked for (`HEAD`) or placed — but never one used in the last minute, which a
 * client may be about to place. A client whose blob went sends it again (`409 blobs_missing`).
 * When that is not room enough, an upload is refused with `507 store_full`.
 *
 * @module
 */
import { readdirSync, rmSync, statSync } from "node:fs";

/** A blob's name: the SHA-256 of its content, 64 lowercase hex digits. */
export const SHA256 = /^[0-9a-f]{64}$/;

/** A blob used this recently is never removed to make room, in ms. */
const IN_USE_MS = 60_000;

/**
 * The blobs of a store directory with their sizes and last use, against a total.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtempSync, writeFileSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { BlobQuota } from "./blob_quota.ts";
 * const dir = mkdtempSync(`${tmpdir()}/blobs-`);
 * writeFileSync(`${dir}/${"a".repeat(64)}`, "12345678");
 * const quota = new BlobQuota(dir, 10, 0); // nothing counts as in use
 * assert.equal(quota.heldBytes, 8);
 * assert.equal(quota.makeRoom(4), true); // the old blob goes
 * assert.equal(quota.heldBytes, 0);
 * assert.equal(quota.makeRoom(11), false); // over the whole store
 * ```
 */
export class BlobQuota {
  /** The most the store may hold, in bytes. */
  readonly maxBytes: number;
  /** Blobs removed to make room since the agent started. */
  evicted = 0;
  readonly #dir: string;
  readonly #inUseMs: number;
  /** sha → size and last use; a Map keeps them in order of last use, oldest first. */
  readonly #blobs = new Map<string, { size: number; usedAt: number }>();
  #held = 0;
  /** Bytes of uploads under way, counted against the total until they end. */
  #reserved = 0;

  /**
   * Counts the blobs already in `dir` (their last use: their modification time).
   *
   * @param dir The store's directory.
   * @param maxBytes The most it may hold.
   * @param inUseMs How recently used a blob is kept whatever the need (default one minute).
   */
  constructor(dir: string, maxBytes: number, inUseMs = IN_USE_MS) {
    this.#dir = dir;
    this.maxBytes = maxBytes;
    this.#inUseMs = inUseMs;
    const found: [string, { size: number; usedAt: number }][] = [];
    for (const name of readdirSync(dir)) {
      if (!SHA256.test(name)) continue;
      const s = statSync(`${dir}/${name}`, { throwIfNoEntry: false });
      if (s?.isFile()) found.push([name, { size: s.size, usedAt: s.mtimeMs }]);
    }
    found.sort((a, b) => a[1].usedAt - b[1].usedAt);
    for (const [sha, blob] of found) {
      this.#blobs.set(sha, blob);
      this.#held += blob.size;
    }
  }

  /** The bytes the stored blobs take. */
  get heldBytes(): number {
    return this.#held;
  }

  /** Marks a blob used now (stored, asked for, placed). */
  used(sha: string): void {
    const blob = this.#blobs.get(sha);
    if (blob === undefined) return;
    this.#blobs.delete(sha);
    blob.usedAt = Date.now();
    this.#blobs.set(sha, blob);
  }

  /**
   * Makes room for `bytes` more, removing the least recently used blobs not in use.
   *
   * @returns Whether there is room now.
   */
  makeRoom(bytes: number): boolean {
    const limit = this.maxBytes - bytes;
    if (this.#held + this.#reserved <= limit) return true;
    const before = Date.now() - this.#inUseMs;
    for (const [sha, blob] of this.#blobs) {
      if (this.#held + this.#reserved <= limit) break;
      if (blob.usedAt > before) break; // the rest are newer still
      rmSync(`${this.#dir}/${sha}`, { force: true });
      this.#blobs.delete(sha);
      this.#held -= blob.size;
      this.evicted++;
    }
    return this.#held + this.#reserved <= limit;
  }

  /** Counts `bytes` of an upload under way; `release` gives them back. */
  reserve(bytes: number): void {
    this.#reserved += bytes;
  }

  /** Gives back what an upload reserved. */
  release(bytes: number): void {
    this.#reserved -= bytes;
  }

  /** Counts a blob just stored. */
  added(sha: string, size: number): void {
    if (this.#blobs.has(sha)) return this.used(sha);
    this.#blobs.set(sha, { size, usedAt: Date.now() });
    this.#held += size;
  }
}
