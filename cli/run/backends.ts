/**
 * Builds the backends `--backend` asks for. The worker pool and the remote
 * client are imported only when asked for, so a local run loads neither.
 *
 * @module
 */
import { type Backend, LocalBackend } from "../../mod.ts";
import { didYouMean } from "../did_you_mean.ts";
import { UsageError } from "../usage.ts";
import type { Workflow } from "./load_workflow.ts";

/** The `--backend` choices. */
export const BACKEND_KINDS = ["local", "workers", "remote"] as const;

/** What `--backend` and its companion flags say. */
export interface BackendChoice {
  /** Which backend runs the tasks. Default `local`. */
  kind?: string;
  /** Commands run at once by the local backend. */
  processes?: number;
  /** Workers of the pool. */
  workers?: number;
  /** The agent's endpoint file (`{ url, token }`), for `remote`. */
  endpoint?: string;
  /** The agent's URL, for `remote` (with `token`). */
  url?: string;
  /** The agent's bearer token, for `remote` (with `url`). */
  token?: string;
}

/**
 * The backends for a run: the first is the default. With `workers`, function
 * tasks go to the pool (loaded with the workflow's modules) and commands to
 * the pool's own subprocesses; with `remote`, everything goes to the agent.
 *
 * @param choice The flags.
 * @param workflow The workflow (its modules become the pool's task modules).
 * @returns The backends.
 * @throws {UsageError} On an unknown backend or missing remote address.
 *
 * @example
 * ```ts ignore
 * const backends = await createBackends({ kind: "local", processes: 8 }, workflow);
 * ```
 */
export async function createBackends(
  choice: BackendChoice,
  workflow: Workflow,
): Promise<Backend[]> {
  const kind = choice.kind ?? "local";
  const local = () =>
    new LocalBackend(choice.processes === undefined ? {} : { processes: choice.processes });
  switch (kind) {
    case "local":
      return [local()];
    case "workers":
      return [await workerPool(choice, workflow)];
    case "remote":
      return [await remote(choice, workflow)];
    default:
      throw new UsageError(
        "run",
        `unknown backend '${kind}'${didYouMean(kind, BACKEND_KINDS)} (choose one of: ${
          BACKEND_KINDS.join(", ")
        })`,
      );
  }
}

/**
 * Inside a binary made by `scripts/build_binary.sh` (`bun build --compile`), the pool's worker
 * script is embedded as a second entry point at its path from the repository root, while the
 * bundled code sees the binary's own URL: point the pool at the embedded file.
 */
const EMBEDDED_WORKER = import.meta.url.includes("/$bunfs/")
  ? new URL("./backends/worker_pool/worker.ts", import.meta.url)
  : undefined;

async function workerPool(choice: BackendChoice, workflow: Workflow): Promise<Backend> {
  const { WorkerPoolBackend } = await import("../../backends/worker_pool/mod.ts");
  return new WorkerPoolBackend({
    modules: workflow.modules,
    ...(EMBEDDED_WORKER ? { workerScript: EMBEDDED_WORKER } : {}),
    ...(choice.workers === undefined ? {} : { size: choice.workers }),
    ...(choice.processes === undefined ? {} : { processes: choice.processes }),
  });
}

async function remote(choice: BackendChoice, workflow: Workflow): Promise<Backend> {
  const { RemoteBackend } = await import("../../backends/remote/mod.ts");
  // The agent knows task modules by name: a workflow's module `tasks.ts` is `tasks` there
  // (start it with `asyncflow agent --module tasks=path/to/tasks.ts`).
  const modules: Record<string, string> = {};
  for (const url of workflow.modules) {
    const name = moduleName(url);
    if (modules[name] !== undefined) {
      throw new UsageError(
        "run",
        `two task modules go by the name '${name}' on the agent: ${
          modules[name]
        } and ${url}; rename one`,
      );
    }
    modules[name] = url;
  }
  if (choice.endpoint !== undefined) {
    return RemoteBackend.fromEndpointFile(choice.endpoint, { modules });
  }
  if (choice.url === undefined || choice.token === undefined) {
    throw new UsageError(
      "run",
      "--backend remote needs --endpoint <file> or both --url and --token",
    );
  }
  return new RemoteBackend({ url: choice.url, token: choice.token, modules });
}

/**
 * The name a module goes by on an agent: its file name without the extension.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { moduleName } from "./backends.ts";
 * assert.ok(moduleName("file:///w/tasks.ts") === "tasks");
 * ```
 */
export function moduleName(url: string): string {
  const file = new URL(url).pathname.split("/").at(-1) ?? url;
  return file.replace(/\.[^.]*$/, "");
}
