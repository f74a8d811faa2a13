/**
 * A static file server on loopback for the browser tests: every file of a directory under two
 * prefixes, `/isolated/` with the headers that make a page cross-origin isolated (COOP + COEP,
 * so it has `SharedArrayBuffer`) and `/plain/` without them.
 */
import { createServer, type Server } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".json": "application/json",
};

/** A running server: its origin and how to stop it. */
export interface StaticServer {
  /** `http://127.0.0.1:PORT`. */
  readonly origin: string;
  close(): Promise<void>;
}

/**
 * Serves `dir` on a free loopback port.
 *
 * @param dir The directory.
 * @returns The server.
 */
export async function serveStatic(dir: string): Promise<StaticServer> {
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const [, prefix, ...rest] = url.pathname.split("/");
    const isolated = prefix === "isolated";
    if (!isolated && prefix !== "plain") return void res.writeHead(404).end();
    const path = normalize(join(dir, ...rest));
    if (!path.startsWith(dir)) return void res.writeHead(403).end();
    try {
      const body = await readFile(path);
      res.writeHead(200, {
        "content-type": TYPES[extname(path)] ?? "application/octet-stream",
        "cache-control": "no-store",
        ...(isolated
          ? {
            "cross-origin-opener-policy": "same-origin",
            "cross-origin-embedder-policy": "require-corp",
          }
          : {}),
      });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
