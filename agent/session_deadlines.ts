/**
 * Session deadlines: a session whose client sent nothing for its heartbeat timeout expires; an
 * expired one is forgotten after a retention window. A stall of the agent itself (a busy thread,
 * SIGSTOP) is not the clients' silence: their requests wait unread, so it pushes every deadline.
 *
 * @module
 */
import type { Session } from "./session.ts";
import { StallClock } from "./stall_clock.ts";

/** What to do with a session whose time is up. */
export interface DeadlineActions {
  /** An open session past its deadline. */
  expire(session: Session): void;
  /** An expired session past the retention window. */
  forget(session: Session): void;
}

/**
 * Checks sessions' deadlines, every `everyMs` (the caller's timer).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Session } from "./session.ts";
 * import { SessionDeadlines } from "./session_deadlines.ts";
 * const s = new Session("0".repeat(32), "test", 1_000, 10, () => {});
 * const expired: string[] = [];
 * const deadlines = new SessionDeadlines(250, 60_000, s.deadline - 100);
 * const actions = { expire: (x: Session) => expired.push(x.id), forget: () => {} };
 * deadlines.check([s], s.deadline, actions); // on time: still open
 * deadlines.check([s], s.deadline + 200, actions);
 * assert.deepEqual(expired, [s.id]);
 * ```
 */
export class SessionDeadlines {
  readonly #stalls: StallClock;
  readonly #forgetAfterMs: number;

  /**
   * @param everyMs How often `check` runs: a longer gap between two checks is a stall.
   * @param forgetAfterMs How long an expired session is kept (answering 410) before it is forgotten.
   * @param start When the timer started. Default: now.
   */
  constructor(everyMs: number, forgetAfterMs: number, start: number = Date.now()) {
    this.#stalls = new StallClock(everyMs, start);
    this.#forgetAfterMs = forgetAfterMs;
  }

  /** Expires and forgets what is due at `now`. */
  check(sessions: Iterable<Session>, now: number, actions: DeadlineActions): void {
    const all = [...sessions];
    const stalled = this.#stalls.stalled(now);
    if (stalled > 0) {
      for (const session of all) if (session.state === "open") session.deadline += stalled;
    }
    for (const session of all) {
      // Kept a while (its client gets 410, not 404), then forgotten, so a long-lived agent holds
      // only what its live sessions need.
      if (session.state === "expired" && now > session.deadline + this.#forgetAfterMs) {
        actions.forget(session);
      } else if (session.state === "open" && now > session.deadline) {
        actions.expire(session);
      }
    }
  }
}
