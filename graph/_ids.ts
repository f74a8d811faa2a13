/**
 * Gives every uid a distinct identifier made by `sanitize`, adding `_2`,
 * `_3`... when two uids sanitize to the same text, so the mapping stays
 * one-to-one whatever characters the uids hold.
 */
export function uniqueIds(
  uids: Iterable<string>,
  sanitize: (uid: string) => string,
): Map<string, string> {
  const ids = new Map<string, string>();
  const used = new Set<string>();
  for (const uid of uids) {
    const base = sanitize(uid);
    let id = base;
    for (let n = 2; used.has(id); n++) id = `${base}_${n}`;
    used.add(id);
    ids.set(uid, id);
  }
  return ids;
}
