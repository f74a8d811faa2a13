/** Task functions for the agent-at-scale benchmark. */

/** Returns when it ran (ms since the epoch), so the client can tell how late its event came. */
export function stamp(): number {
  return Date.now();
}
