import {
  closeSync,
  existsSync,
  fstatSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
  writeSync,
} from "node:fs";

/**
 * One line of the journal. `open`: a session began; `task`: a task was
 * accepted (its wire form); `ev`: a state change (the event's JSON, as sent to
 * clients); `pid`: the process group of a running command; `close`: a
 * session ended.
 */
export type JournalRecord =
  | { t: "open"; sid: string; client: string; hb: number; at: number }
  | { t: "task"; sid: string; n: number; task: Record<string, unknown> }
  | { t: "ev"; sid: string; e: Record<string, unknown> }
  | { t: "pid"; sid: string; id: string; pid: number }
  | { t: "close"; sid: string };

/**
 * The agent's append-only journal (`journal.jsonl`): one JSON line per
 * accepted task and per state change. Lines are buffered and written with one
 * `write` per turn of the event loop, or at once by {@linkcode flush} (before
 * the agent acknowledges a batch), so an agent killed with SIGKILL loses
 * nothing it had acknowledged: the data is in the kernel's page cache.
 *
 * @example
 * ```ts
 * import { Journal } from "./journal.ts";
 * const dir = Deno.makeTempDirSync();
 * const j = Journal.open(`${dir}/journal.jsonl`);
 * j.journal.append('{"t":"close","sid":"x"}');
 * j.journal.close();
 * console.assert(Journal.open(`${dir}/journal.jsonl`).records.length === 1);
 * ```
 */
export class Journal {
  readonly #path: string;
  #fd: number;
  #pending: string[] = [];
  #scheduled = false;
  #closed = false;
  /** The file's size after the last compaction: the next one waits until it has grown. */
  #compactedSize: number;

  private constructor(path: string, fd: number) {
    this.#path = path;
    this.#fd = fd;
    this.#compactedSize = fstatSync(fd).size;
  }

  /**
   * Opens (or creates) a journal and reads back what it holds, compacted: the
   * lines of closed sessions are dropped (the file is rewritten when there are
   * any). A torn last line (the agent died while writing it) is skipped.
   */
  static open(path: string): { journal: Journal; records: JournalRecord[] } {
    const records = existsSync(path) ? compactFile(path) : [];
    const fd = openSync(path, "a", 0o600);
    // A last line cut right at its end must not glue itself to the next record.
    if (fstatSync(fd).size > 0) writeSync(fd, "\n");
    return { journal: new Journal(path, fd), records };
  }

  /**
   * Drops the lines of closed sessions once the file has grown by `growthBytes`
   * since the last compaction, so a long-lived agent's journal tracks its live
   * sessions, not its history. Replaying the result gives the same live state.
   *
   * @param growthBytes How much the file must have grown. Default 64 MiB.
   */
  compactIfGrown(growthBytes = 64 * 1024 * 1024): void {
    if (this.#closed) return;
    this.flush();
    if (fstatSync(this.#fd).size - this.#compactedSize < growthBytes) return;
    closeSync(this.#fd);
    compactFile(this.#path);
    this.#fd = openSync(this.#path, "a", 0o600);
    this.#compactedSize = fstatSync(this.#fd).size;
  }

  /** Adds one line (a JSON text without a newline). */
  append(line: string): void {
    if (this.#closed) return;
    this.#pending.push(line);
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  /** Writes what is buffered now. */
  flush(): void {
    this.#scheduled = false;
    if (this.#pending.length === 0 || this.#closed) return;
    const text = this.#pending.join("\n") + "\n";
    this.#pending = [];
    writeSync(this.#fd, text);
  }

  /** Writes what is buffered and closes the file. */
  close(): void {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
    closeSync(this.#fd);
  }
}

/**
 * Reads a journal file, drops the lines of sessions that have a `close`
 * record and any torn line, rewrites the file (to a temporary file, then
 * renamed over it, so a crash leaves the old or the new file whole) when
 * something was dropped, and returns the records kept.
 */
function compactFile(path: string): JournalRecord[] {
  const lines: string[] = [];
  const records: JournalRecord[] = [];
  const closed = new Set<string>();
  let dropped = false;
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (line === "") continue;
    try {
      const record = JSON.parse(line) as JournalRecord;
      if (record.t === "close") closed.add(record.sid);
      lines.push(line);
      records.push(record);
    } catch {
      // A line cut short by a crash: everything after it was never acknowledged.
      dropped = true;
    }
  }
  if (closed.size === 0 && !dropped) return records;
  const kept = records.filter((r) => !closed.has(r.sid));
  const text = lines.filter((_, i) => !closed.has(records[i]!.sid)).join("\n");
  writeFileSync(`${path}.tmp`, text === "" ? "" : `${text}\n`, { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
  return kept;
}
