import { closeSync, existsSync, openSync, readFileSync, writeSync } from "node:fs";

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
  readonly #fd: number;
  #pending: string[] = [];
  #scheduled = false;
  #closed = false;

  private constructor(fd: number) {
    this.#fd = fd;
  }

  /**
   * Opens (or creates) a journal and reads back what it holds. A torn last
   * line (the agent died while writing it) is skipped.
   */
  static open(path: string): { journal: Journal; records: JournalRecord[] } {
    const records: JournalRecord[] = [];
    if (existsSync(path)) {
      for (const line of readFileSync(path, "utf8").split("\n")) {
        if (line === "") continue;
        try {
          records.push(JSON.parse(line) as JournalRecord);
        } catch {
          // A line cut short by a crash: everything after it was never acknowledged.
        }
      }
    }
    const fd = openSync(path, "a", 0o600);
    // A torn last line must not glue itself to the next record.
    if (records.length > 0 || existsSync(path)) writeSync(fd, "\n");
    return { journal: new Journal(fd), records };
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
