/**
 * The error of a journal write that failed, in the words the agent answers with.
 *
 * @module
 */
import { isDiskFull } from "../jsonl/jsonl_appender.ts";

/**
 * A journal write that failed: nothing of it is in the file. `status` is what the agent answers
 * the request that needed the write: 507 when the disk is full, 503 otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { JournalWriteError } from "./journal_write_error.ts";
 * const e = new JournalWriteError("/x/journal.jsonl", Object.assign(new Error("no space"), { code: "ENOSPC" }));
 * assert.equal(e.status, 507);
 * ```
 */
export class JournalWriteError extends Error {
  override name = "JournalWriteError";
  /** 507 (insufficient storage) for a full disk or quota, else 503. */
  readonly status: 503 | 507;
  /** The system's error code (`ENOSPC`, `EIO`, …), or `unknown`. */
  readonly code: string;

  /**
   * @param path The journal file.
   * @param cause The error of the failed write.
   */
  constructor(path: string, cause: unknown) {
    const code = (cause as { code?: string })?.code ?? "unknown";
    const full = isDiskFull(code);
    super(
      `the agent cannot write its journal ${path} (${(cause as Error)?.message ?? cause}): ` +
        (full
          ? "its disk is full; free space there (or restart the agent with --dir on a larger disk) and retry"
          : "retry later; if it persists, restart the agent"),
      { cause },
    );
    this.status = full ? 507 : 503;
    this.code = code;
  }
}
