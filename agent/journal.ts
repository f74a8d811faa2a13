import { existsSync, truncateSync } from "node:fs";
import { JsonlAppender, JsonlWriteError } from "../jsonl/jsonl_appender.ts";
import { AgentLog } from "./agent_log.ts";
import { compactFile } from "./journal_compaction.ts";
import { JournalWriteError } from "./journal_write_error.ts";

export { JournalWriteError } from "./journal_write_error.ts";

/**
 * One line of the journal. `open`: a session began; `task`: a task was
 * accepted (its wire form); `ev`: a state change (the event's JSON, as sent to
 * clients); `pid`: the process group of a running command, with what identifies it; `close`: a
 * session ended; `fin`: a finished task as a compaction leaves it (its number, id, kind and
 * final event).
 */
export type JournalRecord =
  | { t: "open"; sid: string; client: string; hb: number; at: number }
  | { t: "task"; sid: string; n: number; task: Record<string, unknown> }
  | { t: "ev"; sid: string; e: Record<string, unknown> }
  | {
    t: "pid";
    sid: string;
    id: string;
    pid: number;
    /** What tells the process from a later one with its pid (see `process_identity.ts`). */
    start?: number;
    boot?: string;
    host?: string;
  }
  | { t: "close"; sid: string }
  /** A finished task, checkpointed: what its `task`, `pid` and `ev` lines come to. */
  | {
    t: "fin";
    sid: string;
    n: number;
    id: string;
    kind: string;
    /** Its `running` event, when it had one: a client may not have seen it yet. */
    r?: Record<string, unknown>;
    e: Record<string, unknown>;
  };

/**
 * The agent's append-only journal (`journal.jsonl`): one JSON line per
 * accepted task and per state change. Event lines are buffered and written
 * with one `write` per turn of the event loop; a batch of tasks goes through
 * {@linkcode commit}, which writes it wholly or not at all before the agent
 * records, runs or acknowledges it. An agent killed with SIGKILL loses nothing
 * it had acknowledged: the data is in the kernel's page cache.
 *
 * A write that fails (a full disk) never leaves half a batch behind, never
 * throws out of a buffered flush (its lines stay buffered and go out with the
 * next write that succeeds), and shows in {@linkcode failure}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Journal } from "./journal.ts";
 * const dir = Deno.makeTempDirSync();
 * const j = Journal.open(`${dir}/journal.jsonl`);
 * j.journal.commit(['{"t":"open","sid":"x","client":"","hb":1000,"at":0}']);
 * j.journal.close();
 * const again = Journal.open(`${dir}/journal.jsonl`);
 * assert.deepEqual(again.records.map((r) => r.t), ["open"]);
 * again.journal.close();
 * ```
 */
export class Journal {
  readonly #path: string;
  readonly #log: AgentLog;
  /** The file, and the lines waiting for it. */
  #out: JsonlAppender;
  #scheduled = false;
  #closed = false;
  #failure: JournalWriteError | undefined;
  /** The file's size after the last compaction (or attempt): the next one waits until it has grown. */
  #compactedSize: number;
  /** What the last compaction that succeeded kept (or the file at open): the next rewrites as much. */
  #kept: number;

  private constructor(path: string, out: JsonlAppender, log: AgentLog) {
    this.#path = path;
    this.#log = log;
    this.#out = out;
    this.#compactedSize = this.#kept = out.size;
  }

  /**
   * Opens (or creates) a journal and reads back what it holds, compacted: the
   * lines of closed sessions are dropped and finished tasks checkpointed (the
   * file is rewritten when there are any). A torn last line (the agent died while writing it) is
   * dropped and cut from the file; a line before it that is not JSON is skipped and said. The
   * file is read line by line, so its size is not bounded by the longest string.
   *
   * @param log Where write failures and skipped lines are said. Default: stderr.
   */
  static open(
    path: string,
    log: AgentLog = new AgentLog(),
  ): { journal: Journal; records: JournalRecord[] } {
    const records: JournalRecord[] = [];
    const read = existsSync(path) ? compactFile(path, records) : undefined;
    if (read !== undefined && read.damaged > 0) {
      log.warn("skipped journal lines that are not JSON", {
        path,
        lines: read.damaged,
        first: read.firstDamage,
      });
    }
    // A torn last line goes: its write never finished, so nothing of it was acknowledged, and a
    // torn line stays the file's last (the one place a reader takes it for one).
    if (read?.out === undefined && read?.tornAt !== undefined) truncateSync(path, read.tornAt);
    const out = read?.out ?? JsonlAppender.open(path, { mode: 0o600 });
    return { journal: new Journal(path, out, log), records };
  }

  /** Why the last write failed, while the journal cannot write; `undefined` when it can. */
  get failure(): string | undefined {
    return this.#failure?.message;
  }

  /**
   * Compacts the journal once the file has grown by `growthBytes` since the last
   * compaction, and by at least its size after it: drops the lines of closed sessions and checkpoints the finished
   * tasks of live ones (one `fin` line each), so a long-lived agent's journal
   * tracks what its live sessions still need, not their history. Replaying the
   * result gives the same live state.
   * The compacted file is opened before the old one is closed; a compaction
   * that fails (a full disk) is logged and leaves the journal as it was.
   *
   * @param growthBytes How much the file must have grown. Default 64 MiB.
   */
  compactIfGrown(growthBytes = 64 * 1024 * 1024): void {
    if (this.#closed || !this.flush()) return;
    // And by as much as it held after the last one: a compaction reads and rewrites all that
    // live sessions hold, so its cost stays a constant share of what is written (at most 2×).
    if (this.#out.size - this.#compactedSize < Math.max(growthBytes, this.#kept)) return;
    let done = false;
    try {
      const { out } = compactFile(this.#path);
      if (out !== undefined) {
        const old = this.#out;
        this.#out = out;
        old.close(); // flushed above: nothing is waiting in it
      }
      done = true;
    } catch (error) {
      this.#log.error("cannot compact the journal, going on with it as it is", {
        path: this.#path,
        error: (error as Error).message,
      });
    }
    this.#compactedSize = this.#out.size;
    if (done) this.#kept = this.#compactedSize;
  }

  /** Adds one line (a JSON text without a newline), written within this turn. */
  append(line: string): void {
    if (this.#closed) return;
    this.#out.add(line);
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  /**
   * Writes what is buffered and then `lines`, all of it or none of it.
   *
   * @throws {JournalWriteError} When the write fails: `lines` are not in the
   * journal (and not kept); what was buffered before stays buffered.
   */
  commit(lines: readonly string[]): void {
    if (this.#closed) throw new JournalWriteError(this.#path, new Error("the journal is closed"));
    if (lines.length === 0 && this.#out.pendingLines === 0) return;
    this.#write(lines, true);
  }

  /**
   * Writes what is buffered now.
   *
   * @returns Whether it is written; when not, it stays buffered (see {@linkcode failure}).
   */
  flush(): boolean {
    this.#scheduled = false;
    if (this.#out.pendingLines === 0 || this.#closed) return true;
    return this.#write([], false);
  }

  /** Writes what is buffered (if it can) and closes the file. */
  close(): void {
    if (this.#closed) return;
    // What a failed flush leaves buffered is dropped with the file: the flush has said why.
    this.flush();
    this.#closed = true;
    this.#out.drop();
  }

  /** One write of what is buffered and `lines`; a failure is said, and thrown when `rethrow`. */
  #write(lines: readonly string[], rethrow: boolean): boolean {
    try {
      this.#out.flush(lines);
    } catch (error) {
      const failure = error instanceof JsonlWriteError
        ? new JournalWriteError(this.#path, error.cause)
        : new JournalWriteError(this.#path, error);
      // Said once per outage, not once per write.
      if (this.#failure === undefined) this.#log.error(failure.message);
      this.#failure = failure;
      if (rethrow) throw failure;
      return false;
    }
    this.#failure = undefined;
    return true;
  }
}
