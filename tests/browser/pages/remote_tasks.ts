/** Task functions of the remote tests: the agent loads this file by path, the page bundles it. */

/** Adds two numbers. */
export function add(a: number, b: number): number {
  return a + b;
}

/** Says where it ran: the agent's runtime has `process`, a page has `document`. */
export function host(): string {
  return typeof (globalThis as { document?: unknown }).document === "object" ? "page" : "agent";
}
