/**
 * The `node:` built-ins the remote client uses only for an endpoint file and
 * a pinned certificate, looked up when first needed rather than imported, so
 * that the client loads in browsers and workerd, where neither is used.
 *
 * @module
 */
import type nodeProcess from "node:process";

/**
 * A `node:` built-in by name.
 *
 * @param what What needs it, for the error where there are none.
 * @throws {Error} On a runtime without `node:` built-ins.
 */
export function nodeBuiltins(what: string): typeof nodeProcess.getBuiltinModule {
  const process = (globalThis as { process?: Partial<typeof nodeProcess> }).process;
  const get = process?.getBuiltinModule;
  if (typeof get !== "function") {
    throw new Error(
      `RemoteBackend: ${what} needs the node: built-ins (Deno, Bun or Node); on this runtime ` +
        "give 'url' and 'token' instead",
    );
  }
  return get.bind(process) as typeof nodeProcess.getBuiltinModule;
}
