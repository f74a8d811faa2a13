import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { escapeHtml } from "../report/html_escape.ts";
import { REPORT_CSP, reportPage } from "../report/report.ts";
import { DASHBOARD_JS } from "./dashboard_script.ts";
import type { LiveView } from "./live_view.ts";

/** The page may also talk to its own server: the event stream and the view. */
const DASHBOARD_CSP = `${REPORT_CSP}; connect-src 'self'`;

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** What {@linkcode startServer} needs. */
export interface ServerOptions {
  hostname: string;
  port: number;
  title: string;
  token?: string;
}

/** A running dashboard server. */
export interface RunningServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

/**
 * Serves `view` over HTTP: `/` (the page), `/view` (the report's content now), `/events` (SSE:
 * `update` with `<version>` or `<version> end`, and `tick` with `<version>` when time alone has
 * changed the view). Every request needs the token (`?token=`, or
 * `Authorization: Bearer`), compared in constant time; a request whose Host header is not the
 * server's own loopback name is refused, so a page of another site cannot reach the dashboard
 * through DNS rebinding.
 */
export async function startServer(view: LiveView, options: ServerOptions): Promise<RunningServer> {
  const token = options.token ?? randomBytes(24).toString("base64url");
  const digest = (text: string) => createHash("sha256").update(text).digest();
  const expected = digest(token);
  const streams = new Set<ServerResponse>();

  const authorized = (req: IncomingMessage, url: URL): boolean => {
    const header = req.headers.authorization;
    const given = url.searchParams.get("token") ??
      (header?.startsWith("Bearer ") ? header.slice(7) : "");
    return timingSafeEqual(digest(given), expected);
  };
  // By name only: through `ssh -L 9000:127.0.0.1:<port>` the browser says `localhost:9000`.
  const hostAllowed = (req: IncomingMessage): boolean => {
    const name = (req.headers.host ?? "").replace(/:\d+$/, "");
    return LOOPBACK_HOSTS.has(name) || name === options.hostname;
  };
  const send = (res: ServerResponse, status: number, type: string, body: string) => {
    res.writeHead(status, {
      "content-type": type,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
    }).end(body);
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://dashboard.invalid");
    if (!hostAllowed(req)) return send(res, 403, "text/plain", "403: unexpected Host header\n");
    if (req.method !== "GET") return send(res, 405, "text/plain", "405: only GET\n");
    if (!authorized(req, url)) {
      return send(res, 401, "text/plain", "401: a valid token is required (?token=…)\n");
    }
    switch (url.pathname) {
      case "/": {
        const body = `<p class="meta">dashboard: <span id="live-status" data-state="live">${
          view.finished ? "finished" : "live"
        }</span></p>\n<div id="report" data-version="${view.version}">${view.html()}</div>`;
        return send(
          res,
          200,
          "text/html; charset=utf-8",
          reportPage(options.title, DASHBOARD_CSP, body, DASHBOARD_JS),
        );
      }
      case "/view": {
        const html = view.html();
        res.setHeader("x-asyncflow-version", String(view.version));
        res.setHeader("x-asyncflow-ticks", String(view.ticks));
        return send(res, 200, "text/html; charset=utf-8", html);
      }
      case "/events":
        return openStream(res);
      default:
        return send(res, 404, "text/plain", `404: no ${escapeHtml(url.pathname)} here\n`);
    }
  });

  const openStream = (res: ServerResponse) => {
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    });
    const write = (version: number, finished: boolean, tick = false) => {
      // A tick: no new event, but the view has moved on in time (the running bars grew).
      const type = tick ? "tick" : "update";
      res.write(`event: ${type}\ndata: ${version}${finished ? " end" : ""}\n\n`);
    };
    write(view.version, view.finished); // what changed between the page and this stream
    if (view.finished) return void res.end();
    streams.add(res);
    const stop = view.listen((version, finished, tick) => {
      write(version, finished, tick);
      if (finished) res.end();
    });
    res.on("close", () => {
      stop();
      streams.delete(res);
    });
  };

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.hostname, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.hostname.includes(":") ? `[${options.hostname}]` : options.hostname;
  return {
    url: `http://${host}:${port}/?token=${token}`,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of streams) res.end();
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}
