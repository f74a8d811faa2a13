/**
 * Escapes text for HTML element content and quoted attribute values.
 *
 * @param text Any user string: a task name, an error message.
 * @returns The text with `& < > " '` replaced by character references.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { escapeHtml } from "./html_escape.ts";
 * assert.equal(escapeHtml('<b a="1">'), "&lt;b a=&quot;1&quot;&gt;");
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/**
 * Serialises a value as JSON that is safe inside an inline `<script>`
 * element: `<`, `>` and `&` become `\u` escapes so no string can close the
 * element or open a comment, and U+2028/U+2029 are escaped for old parsers.
 *
 * @param value Any JSON-serialisable value.
 * @returns The JSON text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { jsonForScript } from "./html_escape.ts";
 * assert.ok(!jsonForScript({ name: "</script>" }).includes("</"));
 * ```
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
