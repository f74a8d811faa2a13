/**
 * This node's address on the cluster network: where a client outside the node (a login node)
 * can reach the agent, as a compute node's loopback cannot be reached from anywhere else.
 *
 * @module
 */
import { lookup } from "node:dns/promises";
import { hostname, networkInterfaces } from "node:os";

/**
 * The address other machines use for this node: what its host name resolves to (the cluster's
 * own naming, usually in `/etc/hosts` or DNS), else the first IPv4 address of an interface
 * that is not loopback.
 *
 * @returns An IPv4 address such as `10.250.0.11`.
 * @throws {Error} When the host name resolves to loopback or nothing and no interface has an
 * address: the message says to give `--listen ADDRESS:PORT`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isIP } from "node:net";
 * import { nodeAddress } from "@asyncflow/asyncflow/agent";
 * try {
 *   const address = await nodeAddress();
 *   assert.equal(isIP(address), 4);
 *   assert.ok(!address.startsWith("127."));
 * } catch (error) {
 *   assert.match((error as Error).message, /give --listen ADDRESS:PORT/); // a machine with loopback only
 * }
 * ```
 */
export async function nodeAddress(): Promise<string> {
  const name = hostname();
  try {
    const { address } = await lookup(name, { family: 4 });
    // Debian maps its own host name to 127.0.1.1: loopback says nothing about the cluster.
    if (!address.startsWith("127.")) return address;
  } catch {
    // Not resolvable: look at the interfaces.
  }
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) {
      if ((a.family === "IPv4" || (a.family as unknown) === 4) && !a.internal) return a.address;
    }
  }
  throw new Error(
    `cannot find this node's address on the cluster network: its host name '${name}' resolves ` +
      "to loopback or nothing, and no interface but loopback has an IPv4 address; " +
      "give --listen ADDRESS:PORT",
  );
}
