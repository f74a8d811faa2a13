/**
 * Slurm's compressed host lists: `nid[001-003,007]`, `a1,b[1-2]`, `rack[1-2]-n[01-02]`.
 *
 * @module
 */

/**
 * Expands a Slurm host list into host names, in order. Zero padding of a range is kept
 * (`n[08-10]` gives `n08, n09, n10`); several bracket groups in one name expand as a cartesian
 * product, the way `scontrol show hostnames` does.
 *
 * @param list A host list as found in `SLURM_JOB_NODELIST`.
 * @returns The host names; an empty array for an empty list.
 * @throws {SyntaxError} On unbalanced brackets, empty names or reversed ranges.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { expandHostList } from "@asyncflow/asyncflow/agent/placement";
 * assert.deepEqual(expandHostList("nid[001-003,007],login1"), [
 *   "nid001", "nid002", "nid003", "nid007", "login1",
 * ]);
 * ```
 */
export function expandHostList(list: string): string[] {
  const hosts: string[] = [];
  for (const item of splitTopLevel(list.trim(), list)) hosts.push(...expandItem(item, list));
  return hosts;
}

/** Splits at commas that are not inside brackets. */
function splitTopLevel(text: string, whole: string): string[] {
  if (text === "") return [];
  const items: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "[") depth++;
    else if (c === "]") depth--;
    if (depth < 0 || depth > 1) {
      throw new SyntaxError(`unbalanced brackets in host list '${whole}'`);
    }
    if (c === "," && depth === 0) {
      items.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0) throw new SyntaxError(`unbalanced brackets in host list '${whole}'`);
  items.push(text.slice(start));
  for (const item of items) {
    if (item.trim() === "") throw new SyntaxError(`empty host name in host list '${whole}'`);
  }
  return items.map((item) => item.trim());
}

/** Expands one name that may hold several bracket groups. */
function expandItem(item: string, whole: string): string[] {
  const open = item.indexOf("[");
  if (open < 0) return [item];
  const close = item.indexOf("]", open);
  const prefix = item.slice(0, open);
  const suffixes = expandItem(item.slice(close + 1), whole);
  const names: string[] = [];
  for (const value of expandRanges(item.slice(open + 1, close), whole)) {
    for (const suffix of suffixes) names.push(prefix + value + suffix);
  }
  return names;
}

/** Expands `001-003,007` into its values, keeping the width of zero-padded numbers. */
function expandRanges(body: string, whole: string): string[] {
  const values: string[] = [];
  for (const part of body.split(",")) {
    const m = /^\s*(\d+)(?:-(\d+))?\s*$/.exec(part);
    if (!m) throw new SyntaxError(`bad range '${part}' in host list '${whole}'`);
    const lo = m[1] as string;
    const hi = m[2] ?? lo;
    const from = Number(lo);
    const to = Number(hi);
    if (to < from) throw new SyntaxError(`reversed range '${part}' in host list '${whole}'`);
    if (to - from > 100_000) throw new SyntaxError(`range '${part}' is too large in '${whole}'`);
    const width = lo.length;
    for (let n = from; n <= to; n++) values.push(String(n).padStart(width, "0"));
  }
  return values;
}
