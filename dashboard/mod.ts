/**
 * The live dashboard: the report's views (Gantt chart per backend and worker, running tasks over
 * time, the graph coloured by state, the critical path, failures) fed as the run happens, served
 * on loopback with a random token in the URL. When the run has ended, the page shows exactly what
 * `renderReport` writes for the same events.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WorkflowEngine } from "@asyncflow/asyncflow";
 * import { serveDashboard } from "@asyncflow/asyncflow/dashboard";
 *
 * await using flow = await WorkflowEngine.create();
 * await using dashboard = await serveDashboard(flow, { title: "sweep" });
 * assert.match(dashboard.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=/); // open it in a browser
 * await flow.functionTask(function step() { return 1; })();
 * dashboard.finish();
 * const page = await fetch(dashboard.url);
 * assert.equal(page.status, 200);
 * assert.match(await page.text(), /<title>sweep<\/title>/);
 * assert.equal((await fetch(dashboard.url.replace(/token=.*$/, "token=wrong"))).status, 401);
 * ```
 *
 * @module
 */
import type { TaskEvent, TaskEventSource } from "../src/events.ts";
import { startServer } from "./dashboard_server.ts";
import { LiveView } from "./live_view.ts";

export { AgentEventSource } from "./agent_source.ts";
export type { AgentSourceOptions } from "./agent_source.ts";

/** Options of {@linkcode serveDashboard}. */
export interface DashboardOptions {
  /** The page's title. Default `"asyncflow dashboard"`. */
  title?: string;
  /** The address to listen on. Default `"127.0.0.1"`: reach it from elsewhere with `ssh -L`. */
  hostname?: string;
  /** The port. Default 0: a free one. */
  port?: number;
  /** The token the URL carries. Default: 192 random bits. */
  token?: string;
  /**
   * The shortest time between two updates of the page, in ms. Default 1000. The dashboard
   * renders in the thread that runs the workflow, so it also waits at least five times as long
   * as its last rendering took.
   */
  minIntervalMs?: number;
  /** The most boxes the graph lays out (as in the report). Default 1000. */
  maxGraphNodes?: number;
}

/** A running dashboard. `await using` (or `close()`) stops it. */
export interface Dashboard extends AsyncDisposable {
  /** The page's address, with its token: open it in a browser. */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** The token every request needs. */
  readonly token: string;
  /** Says that the run has ended: the page shows the final view and stops following. */
  finish(): void;
  /** Stops listening for events and closes the server. */
  close(): Promise<void>;
}

/**
 * Serves a dashboard of everything `source` runs from now on, or of a finished run's events
 * (a trace read with `readTrace`), which it shows at once as finished.
 *
 * @param source The engine (or anything with its `subscribe`), or the events of a past run.
 * @param options Title, address, token and update interval.
 * @returns The dashboard, with its URL.
 * @throws {TypeError} When `source` is neither, or an option is malformed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { serveDashboard } from "@asyncflow/asyncflow/dashboard";
 * const done = { type: "done" as const, time: 2, uid: "t1", name: "step", kind: "function" as const, workflowId: "main" };
 * await using replay = await serveDashboard([{ ...done, type: "created", time: 1, deps: [] }, done]);
 * const view = await fetch(replay.url.replace("/?", "/view?"));
 * assert.equal(view.headers.get("x-asyncflow-version"), "2");
 * assert.match(await view.text(), /step/);
 * ```
 */
export async function serveDashboard(
  source: TaskEventSource | readonly TaskEvent[],
  options: DashboardOptions = {},
): Promise<Dashboard> {
  const replay = Array.isArray(source);
  if (!replay && typeof (source as TaskEventSource)?.subscribe !== "function") {
    throw new TypeError(
      "serveDashboard: source must be a WorkflowEngine (anything with subscribe) or an array of " +
        `events, got ${source === null ? "null" : typeof source}`,
    );
  }
  const minIntervalMs = options.minIntervalMs ?? 1000;
  if (!(Number.isFinite(minIntervalMs) && minIntervalMs >= 0)) {
    throw new TypeError(
      `serveDashboard: 'minIntervalMs' must be a number ≥ 0, got ${minIntervalMs}`,
    );
  }
  const port = options.port ?? 0;
  if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) {
    throw new TypeError(`serveDashboard: 'port' must be an integer from 0 to 65535, got ${port}`);
  }
  const title = options.title ?? "asyncflow dashboard";
  const view = new LiveView(
    { title, ...(options.maxGraphNodes ? { maxGraphNodes: options.maxGraphNodes } : {}) },
    minIntervalMs,
  );
  let unsubscribe = () => {};
  if (replay) {
    view.pushAll(source as readonly TaskEvent[]);
    view.finish();
  } else {
    unsubscribe = (source as TaskEventSource).subscribe((e) => view.push(e));
  }
  const server = await startServer(view, {
    hostname: options.hostname ?? "127.0.0.1",
    port,
    title,
    ...(options.token !== undefined ? { token: options.token } : {}),
  });
  let closed: Promise<void> | undefined;
  const close = () =>
    closed ??= (async () => {
      unsubscribe();
      view.finish();
      await server.close();
      view.close();
    })();
  return {
    url: server.url,
    port: server.port,
    token: server.token,
    finish: () => {
      unsubscribe();
      view.finish();
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
