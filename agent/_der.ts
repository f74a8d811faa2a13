/**
 * The few DER (ASN.1) encodings a self-signed X.509 certificate needs. Each function returns
 * one complete element: tag, length, contents.
 *
 * @module
 */

/** One DER element with `tag` around `contents`. */
export function element(tag: number, ...contents: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const length = contents.reduce((n, c) => n + c.length, 0);
  const head = length < 0x80 ? [tag, length] : [tag, ...lengthBytes(length)];
  const out = new Uint8Array(head.length + length);
  out.set(head);
  let at = head.length;
  for (const c of contents) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function lengthBytes(length: number): number[] {
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return [0x80 | bytes.length, ...bytes];
}

/** SEQUENCE of the given elements. */
export const sequence = (...items: Uint8Array[]): Uint8Array<ArrayBuffer> =>
  element(0x30, ...items);
/** SET of the given elements. */
export const set = (...items: Uint8Array[]): Uint8Array<ArrayBuffer> => element(0x31, ...items);
/** A context-specific constructed tag `[n]` (EXPLICIT) around elements. */
export const explicit = (n: number, ...items: Uint8Array[]): Uint8Array<ArrayBuffer> =>
  element(0xa0 | n, ...items);
/** OCTET STRING. */
export const octets = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => element(0x04, bytes);
/** UTF8String. */
export const utf8 = (text: string): Uint8Array<ArrayBuffer> =>
  element(0x0c, new TextEncoder().encode(text));
/** BIT STRING of whole bytes. */
export const bits = (bytes: Uint8Array): Uint8Array<ArrayBuffer> =>
  element(0x03, Uint8Array.of(0), bytes);

/** INTEGER from unsigned big-endian bytes (leading zeros dropped, a zero added when the top bit is set). */
export function unsigned(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  return element(0x02, ...(trimmed[0]! & 0x80 ? [Uint8Array.of(0)] : []), trimmed);
}

/** OBJECT IDENTIFIER from its dotted form, e.g. `2.5.4.3`. */
export function oid(dotted: string): Uint8Array<ArrayBuffer> {
  const [a, b, ...rest] = dotted.split(".").map(Number);
  const out = [a! * 40 + b!];
  for (const arc of rest) {
    const base128 = [arc % 128];
    for (let n = Math.floor(arc / 128); n > 0; n = Math.floor(n / 128)) {
      base128.unshift(0x80 | (n % 128));
    }
    out.push(...base128);
  }
  return element(0x06, Uint8Array.from(out));
}

/** UTCTime before 2050, GeneralizedTime from then on (RFC 5280, 4.1.2.5), to the second. */
export function time(date: Date): Uint8Array<ArrayBuffer> {
  const iso = date.toISOString(); // 2026-12-01T09:55:28.000Z
  const digits = iso.slice(0, 19).replace(/[-T:]/g, "") + "Z"; // 20261201095528Z
  const text = date.getUTCFullYear() < 2050 ? digits.slice(2) : digits;
  return element(date.getUTCFullYear() < 2050 ? 0x17 : 0x18, new TextEncoder().encode(text));
}
