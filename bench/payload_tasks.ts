/** Task functions for the payload benchmark. */

/** Returns the length of its argument, so only the argument travels. */
export function size(payload: string): number {
  return payload.length;
}

/** Returns a string of `bytes` characters, so only the result travels. */
export function make(bytes: number): string {
  return "x".repeat(bytes);
}
