/**
 * A memory size in KiB, as `712 KiB`, `45.3 MiB` or `1.20 GiB`.
 *
 * @param kib The size in KiB.
 * @returns The size with its unit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatKiB } from "./format_kib.ts";
 * assert.equal(formatKiB(712), "712 KiB");
 * assert.equal(formatKiB(46_387), "45.3 MiB");
 * assert.equal(formatKiB(1_258_291), "1.20 GiB");
 * ```
 */
export function formatKiB(kib: number): string {
  if (kib < 1024) return `${kib} KiB`;
  if (kib < 1024 * 1024) return `${(kib / 1024).toFixed(1)} MiB`;
  return `${(kib / 1024 / 1024).toFixed(2)} GiB`;
}
