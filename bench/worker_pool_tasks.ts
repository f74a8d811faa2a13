/** Task functions for the worker pool benchmark and example. */

/** Returns its argument: measures the pool's own cost. */
export function noop(x: number): number {
  return x;
}

/** Burns CPU for about `n` loop turns and returns a checksum. */
export function burn(n: number): number {
  let x = 0;
  for (let i = 0; i < n; i++) x = (x + Math.sqrt(i * 1.000001)) % 1_000_003;
  return x;
}
