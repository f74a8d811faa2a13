/** Task functions of `examples/worker_pool.ts`: they run on the pool's workers. */

/**
 * Throws `samples` random darts at the unit square and counts those inside
 * the quarter circle: `4 × hits / samples` estimates π.
 *
 * @param samples How many darts.
 * @param seed Seed of the generator, so each task draws different darts.
 * @returns The number of hits.
 */
export function monteCarloPi(samples: number, seed: number): number {
  let state = seed >>> 0 || 1;
  const random = () => {
    // mulberry32: fast, and plenty for an estimate.
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let hits = 0;
  for (let i = 0; i < samples; i++) {
    const x = random();
    const y = random();
    if (x * x + y * y <= 1) hits++;
  }
  return hits;
}
