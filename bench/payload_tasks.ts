/** Task functions for the payload benchmark. */

/** Returns the length of its argument, so only the argument travels. */
export function size(payload: string): number {
  return payload.length;
}
