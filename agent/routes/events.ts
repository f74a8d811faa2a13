/**
 * `GET /v1/sessions/{sid}/events`: a session's numbered events as Server-Sent Events (resumed
 * by `Last-Event-ID` or `?after=`), or as a long poll with `?wait=`.
 *
 * @module
 */
import { type Context, Hono } from "hono";
import { type SSEStreamingApi, streamSSE } from "hono/streaming";
import type { Session } from "../session.ts";
import { type AgentEnv, intParam, problem } from "./_problem.ts";

const EVENTS_PER_FLUSH = 1024;
const PING_MS = 15_000;
const MAX_WAIT_MS = 30_000;

/**
 * The event routes of a session; `streams()` is aborted to end every open stream, and each
 * stream is in `openStreams` until it has ended.
 */
export function eventRoutes(
  options: { streams: () => AbortSignal; openStreams?: Set<Promise<void>> },
): Hono<AgentEnv> {
  const app = new Hono<AgentEnv>();
  app.get("/", (c) => {
    const s = c.get("session");
    const fromHeader = c.req.header("last-event-id");
    const after = intParam(fromHeader ?? c.req.query("after"), 0);
    if (after === undefined) {
      return problem(
        c,
        400,
        "bad_request",
        "the cursor (Last-Event-ID or 'after') must be a non-negative integer",
      );
    }
    if (s.log.since(after, 0) === undefined) return goneCursor(c, after);
    if (after > s.log.last) {
      // The client saw events this log does not hold (a restart lost lines it had sent): going
      // on from there would skip what comes next under those numbers.
      return problem(
        c,
        409,
        "cursor_ahead",
        `the cursor ${after} is ahead of this session's last event ${s.log.last}; re-sync from GET …/tasks`,
      );
    }
    const wait = c.req.query("wait");
    if (wait !== undefined) {
      const ms = intParam(wait, 0);
      if (ms === undefined) {
        return problem(c, 400, "bad_request", "'wait' must be a non-negative integer of ms");
      }
      return longPoll(c, s, after, Math.min(ms, MAX_WAIT_MS), options.streams());
    }
    return stream(c, s, after, options.streams(), options.openStreams);
  });
  return app;
}

function stream(
  c: Context,
  s: Session,
  after: number,
  stop: AbortSignal,
  open: Set<Promise<void>> | undefined,
): Response {
  return streamSSE(c, async (sse) => {
    const following = follow(sse, s, after, stop);
    open?.add(following);
    try {
      await following;
    } finally {
      open?.delete(following);
    }
  });
}

/** Writes the session's events from `after` on until the log closes or the stream is stopped. */
async function follow(
  sse: SSEStreamingApi,
  s: Session,
  after: number,
  stop: AbortSignal,
): Promise<void> {
  const local = new AbortController();
  sse.onAbort(() => local.abort());
  const signal = AbortSignal.any([local.signal, stop]);
  let cursor = after;
  while (!signal.aborted) {
    const batch = s.log.since(cursor, EVENTS_PER_FLUSH);
    if (batch === undefined) {
      await sse.writeSSE({ event: "gone", data: JSON.stringify({ after: cursor }) });
      return;
    }
    if (batch.length > 0) {
      cursor = batch[batch.length - 1]!.seq;
      await sse.writeSSE({
        id: String(cursor),
        event: "events",
        data: `[${batch.map((e) => e.json).join(",")}]`,
      });
      continue;
    }
    if (s.log.closed) {
      await sse.writeSSE({ event: "end", data: JSON.stringify({ state: s.state }) });
      return;
    }
    const before = s.log.last;
    await s.log.wait(PING_MS, signal);
    if (s.log.last === before && !s.log.closed && !signal.aborted) {
      await sse.write(": ping\n\n");
    }
  }
}

async function longPoll(
  c: Context,
  s: Session,
  after: number,
  ms: number,
  stop: AbortSignal,
): Promise<Response> {
  if (s.log.last <= after && !s.log.closed) {
    await s.log.wait(ms, AbortSignal.any([stop, c.req.raw.signal]));
  }
  const batch = s.log.since(after, EVENTS_PER_FLUSH);
  if (batch === undefined) return goneCursor(c, after);
  const last = batch.length > 0 ? batch[batch.length - 1]!.seq : after;
  return c.body(
    `{"last":${last},"closed":${s.log.closed},"events":[${batch.map((e) => e.json).join(",")}]}`,
    200,
    { "content-type": "application/json" },
  );
}

function goneCursor(c: Context, after: number): Response {
  return problem(
    c,
    410,
    "cursor_expired",
    `events after ${after} are no longer kept; re-sync from GET …/tasks`,
  );
}
