/**
 * One copy of the engine. A workflow module that imports
 * `@asyncflow/asyncflow` (or one of its subpaths) must get the copy this
 * command runs on: the engine it receives and the errors it throws come from
 * that copy, so a second copy — the project's own install beside a global
 * command or a binary, say — makes `error instanceof TimeoutError` false.
 *
 * - Node: a resolve hook maps the package's specifiers to this copy's files,
 *   whether or not the workflow's project has the package installed.
 * - Bun: its runtime plugins do not see bare specifiers (oven-sh/bun#40579),
 *   so a load hook hands out this copy's modules in place of the project's
 *   installed copy; without an installed copy Bun cannot resolve the import.
 * - Deno resolves the package through its configuration: from the source,
 *   `deno.json` names it; from npm, both sides load the same installed files.
 *
 * @module
 */
import process from "node:process";
import { fileURLToPath } from "node:url";
import { runtime } from "../../src/host/runtime.ts";

const NAME = "@asyncflow/asyncflow";

/** A subpath export of the package that workflows share. */
export interface SharedExport {
  /** As in `deno.json`: `"."`, `"./remote"`, … */
  subpath: string;
  /** Its file from the package's root, without the extension (`.ts` in the source, `.js` in npm). */
  file: string;
  /** Imports this copy's module. Literal imports keep it inside a bun-compiled binary. */
  load(): Promise<Record<string, unknown>>;
}

/**
 * Every subpath export of `deno.json` but the worker script, which runs only
 * inside a worker (`tests/cli/share_package_test.ts` keeps them in step).
 */
export const SHARED_EXPORTS: readonly SharedExport[] = [
  { subpath: ".", file: "mod", load: () => import("../../mod.ts") },
  {
    subpath: "./worker_pool",
    file: "backends/worker_pool/mod",
    load: () => import("../../backends/worker_pool/mod.ts"),
  },
  { subpath: "./graph", file: "graph/mod", load: () => import("../../graph/mod.ts") },
  { subpath: "./report", file: "report/mod", load: () => import("../../report/mod.ts") },
  {
    subpath: "./remote",
    file: "backends/remote/mod",
    load: () => import("../../backends/remote/mod.ts"),
  },
  { subpath: "./agent", file: "agent/mod", load: () => import("../../agent/mod.ts") },
  {
    subpath: "./agent/placement",
    file: "agent/placement/mod",
    load: () => import("../../agent/placement/mod.ts"),
  },
  {
    subpath: "./agent/pilot",
    file: "agent/pilot/mod",
    load: () => import("../../agent/pilot/mod.ts"),
  },
  { subpath: "./otel", file: "otel/mod", load: () => import("../../otel/mod.ts") },
  {
    subpath: "./dashboard",
    file: "dashboard/mod",
    load: () => import("../../dashboard/mod.ts"),
  },
  { subpath: "./protocol", file: "protocol/v1", load: () => import("../../protocol/v1.ts") },
  { subpath: "./cli", file: "cli/main", load: () => import("../main.ts") },
];

/**
 * The URL of this copy's module for each specifier of the package
 * (`@asyncflow/asyncflow`, `@asyncflow/asyncflow/remote`, …).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ownPackageUrls } from "./share_package.ts";
 * assert.match(ownPackageUrls()["@asyncflow/asyncflow"]!, /\/mod\.(ts|js)$/);
 * ```
 */
export function ownPackageUrls(): Record<string, string> {
  // The same file is .ts in the source and .js in the npm package.
  const ext = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
  const root = new URL("../../", import.meta.url);
  return Object.fromEntries(
    SHARED_EXPORTS.map((e) => [NAME + e.subpath.slice(1), new URL(e.file + ext, root).href]),
  );
}

let shared = false;

/**
 * Makes workflow modules imported from now on share this copy of the package
 * (see the module's documentation for how, per runtime). Idempotent.
 *
 * @example
 * ```ts ignore
 * // Changes module resolution for the whole process: tested in tests/cli/share_package_test.ts.
 * import { shareOwnPackage } from "./share_package.ts";
 * await shareOwnPackage();
 * ```
 */
export async function shareOwnPackage(): Promise<void> {
  if (shared) return;
  shared = true;
  if (runtime === "deno") return;
  if (runtime === "bun") return shareOnBun((globalThis as { Bun?: unknown }).Bun as BunPlugins);
  await shareOnNode();
}

interface BunPlugins {
  plugin(plugin: {
    name: string;
    setup(build: {
      onLoad(
        options: { filter: RegExp },
        load: (args: { path: string }) => Promise<{ exports: object; loader: "object" }>,
      ): void;
    }): void;
  }): void;
}

function shareOnBun(bun: BunPlugins): void {
  // Files of an installed copy of the package, unless it is this copy (`bunx asyncflow`). In a
  // bun-compiled binary this module is bundled into one file, at the root of its own file system.
  const root = import.meta.url.includes("/$bunfs/")
    ? "/$bunfs/"
    : fileURLToPath(new URL("../../", import.meta.url));
  const own = root.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const installed = new RegExp(
    `^(?!${own}).*[\\\\/]node_modules[\\\\/]@asyncflow[\\\\/]asyncflow[\\\\/](.+)\\.js$`,
  );
  bun.plugin({
    name: "asyncflow: one copy of the package",
    setup(build) {
      build.onLoad({ filter: installed }, async ({ path }) => {
        const file = installed.exec(path)![1]!.replaceAll("\\", "/");
        const shared = SHARED_EXPORTS.find((e) => e.file === file);
        if (shared === undefined) {
          const subpaths = SHARED_EXPORTS.map((e) => NAME + e.subpath.slice(1)).join(", ");
          throw new Error(
            `${path} is not an export of ${NAME}: a workflow imports the package through ${subpaths}`,
          );
        }
        return { exports: await shared.load(), loader: "object" };
      });
    },
  });
}

async function shareOnNode(): Promise<void> {
  const module = await import("node:module") as {
    registerHooks?: (hooks: { resolve: ResolveHook }) => void;
    register?: (specifier: string, options: { data: unknown }) => void;
  };
  const urls = ownPackageUrls();
  if (module.registerHooks) {
    // Node 22.15+: synchronous hooks on this thread.
    module.registerHooks({
      resolve: (specifier, context, next) =>
        urls[specifier] === undefined
          ? next(specifier, context)
          : { url: urls[specifier], shortCircuit: true },
    });
    return;
  }
  if (module.register === undefined) {
    process.emitWarning(
      `this Node has no module hooks: a workflow may get a second copy of ${NAME}`,
    );
    return;
  }
  // Node 20: hooks run on a loader thread, from a module of their own.
  const hooks = `let urls = {};
export function initialize(data) { urls = data; }
export async function resolve(specifier, context, next) {
  return urls[specifier] === undefined ? next(specifier, context) : { url: urls[specifier], shortCircuit: true };
}`;
  module.register(`data:text/javascript,${encodeURIComponent(hooks)}`, { data: urls });
}

type ResolveHook = (
  specifier: string,
  context: unknown,
  next: (specifier: string, context: unknown) => unknown,
) => unknown;
