/**
 * Serves the browser example on loopback: bundles `campaign.ts` with esbuild (the package's
 * public specifier mapped to this checkout) and serves it beside `index.html`.
 *
 *     node examples/browser/serve.ts [--port 8080]      (or deno run -A, or bun)
 *
 * Then open the URL it prints. `--port 0` picks a free port.
 */
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = fileURLToPath(new URL(".", import.meta.url));
const portFlag = process.argv.indexOf("--port");
const port = portFlag > 0 ? Number(process.argv[portFlag + 1]) : 8080;

const bundled = await build({
  entryPoints: [`${here}campaign.ts`],
  bundle: true,
  write: false,
  platform: "browser",
  format: "esm",
  target: "es2022",
  // Task names come from function names: keep them through the bundler's renaming.
  keepNames: true,
  alias: { "@asyncflow/asyncflow": `${here}../../mod.ts` },
  logLevel: "warning",
});
const files: Record<string, [string, string | Uint8Array]> = {
  "/": ["text/html; charset=utf-8", readFileSync(`${here}index.html`)],
  "/campaign.js": ["text/javascript; charset=utf-8", bundled.outputFiles[0]!.contents],
};

const server = createServer((req, res) => {
  const file = files[new URL(req.url ?? "/", "http://x").pathname];
  if (file === undefined) return void res.writeHead(404).end("not found");
  res.writeHead(200, { "content-type": file[0] }).end(file[1]);
});
server.listen(port, "127.0.0.1", () => {
  const address = server.address();
  const actual = typeof address === "object" && address ? address.port : port;
  console.log(`asyncflow browser example: http://127.0.0.1:${actual}/`);
});
