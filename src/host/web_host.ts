import { asyncContextStorage, synchronousContextStorage } from "./async_context.ts";
import type { Host, ProcessRequest } from "./host.ts";
import type { Runtime } from "./runtime.ts";

/**
 * The host of runtimes that offer web standards only (browsers, workerd):
 * they cannot start processes or write files, so an executable task fails at
 * once, saying so and what to use instead; function tasks and blocks run as
 * anywhere else.
 *
 * @param runtime The runtime, for messages.
 * @returns The host.
 */
export function webHost(runtime: Runtime): Host {
  const cannot = (what: string) =>
    new Error(
      `asyncflow on ${runtime} cannot ${what}: this runtime starts no processes and has no ` +
        "file system. Run executable tasks on a RemoteBackend (@asyncflow/asyncflow/remote), " +
        "which sends them to an asyncflow agent",
    );
  const spawn = (request: ProcessRequest): never => {
    const what = typeof request.command === "string" ? request.command : request.command[0];
    throw cannot(`run the command '${what}'`);
  };
  return {
    runtime,
    spawn,
    launch: spawn,
    mkdir: (path) => Promise.reject(cannot(`create the directory ${path}`)),
    hasFiles: false,
    fileStat: (path) => Promise.reject(cannot(`look at the file ${path}`)),
    sha256File: (path) => Promise.reject(cannot(`read the file ${path}`)),
    cpuCount: () => {
      const n = (globalThis as { navigator?: { hardwareConcurrency?: unknown } }).navigator
        ?.hardwareConcurrency;
      return typeof n === "number" && n >= 1 ? n : 1;
    },
    // No working directory here: paths under it are only names, never opened.
    cwd: () => ".",
    // No machine to name: a page or an edge isolate; the records say which.
    hostname: () => runtime,
    contextStorage: <T>() => asyncContextStorage<T>() ?? synchronousContextStorage<T>(),
  };
}
