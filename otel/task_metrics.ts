import type { Counter, Histogram, Meter, UpDownCounter } from "@opentelemetry/api";
import type { TaskEvent } from "../src/events.ts";

/** Where a task stands between its events, for the up-down counter of live tasks. */
type LiveState = "pending" | "running";

/**
 * Turns the event stream into metrics:
 * - `asyncflow.tasks.live` (up-down counter): tasks and blocks not finished yet, by
 *   `asyncflow.state` (`pending`, `running`) and `asyncflow.kind`;
 * - `asyncflow.tasks.finished` (counter): by `asyncflow.outcome` (`done`, `failed`, `cancelled`)
 *   and `asyncflow.kind`;
 * - `asyncflow.task.attempts` (counter): attempts that ended, by outcome (`retried` included);
 * - `asyncflow.task.duration` (histogram, seconds): each attempt's run time, by outcome and kind.
 */
export class TaskMetrics {
  readonly #live: UpDownCounter;
  readonly #finished: Counter;
  readonly #attempts: Counter;
  readonly #duration: Histogram;
  readonly #tasks = new Map<string, { kind: string; state: LiveState; started?: number }>();

  constructor(meter: Meter) {
    this.#live = meter.createUpDownCounter("asyncflow.tasks.live", {
      description: "Tasks and blocks not finished yet, by state",
    });
    this.#finished = meter.createCounter("asyncflow.tasks.finished", {
      description: "Tasks and blocks that reached a final state, by outcome",
    });
    this.#attempts = meter.createCounter("asyncflow.task.attempts", {
      description: "Attempts that ended, by outcome",
    });
    this.#duration = meter.createHistogram("asyncflow.task.duration", {
      description: "Run time of each attempt",
      unit: "s",
    });
  }

  /** Applies one event. */
  onEvent(e: TaskEvent): void {
    if (e.type === "created") {
      this.#tasks.set(e.uid, { kind: e.kind, state: "pending" });
      this.#live.add(1, { "asyncflow.state": "pending", "asyncflow.kind": e.kind });
      return;
    }
    const t = this.#tasks.get(e.uid);
    if (t === undefined) return;
    const kind = { "asyncflow.kind": t.kind };
    const move = (to?: LiveState) => {
      this.#live.add(-1, { "asyncflow.state": t.state, ...kind });
      if (to === undefined) return;
      this.#live.add(1, { "asyncflow.state": to, ...kind });
      t.state = to;
    };
    const attemptEnded = (outcome: string) => {
      if (t.started === undefined) return;
      const attrs = { "asyncflow.outcome": outcome, ...kind };
      this.#attempts.add(1, attrs);
      this.#duration.record((e.time - t.started) / 1000, attrs);
      delete t.started;
    };
    switch (e.type) {
      case "running":
        t.started = e.time;
        move("running");
        return;
      case "retried":
        attemptEnded("retried");
        move("pending");
        return;
      case "done":
      case "failed":
      case "cancelled":
        attemptEnded(e.type);
        move();
        this.#finished.add(1, { "asyncflow.outcome": e.type, ...kind });
        this.#tasks.delete(e.uid);
        return;
      default:
        return;
    }
  }
}
