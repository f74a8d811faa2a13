/** Task functions for the payload benchmark. */
import { Buffer } from "node:buffer";
import { transfer } from "../backends/worker_pool/transfer.ts";

/** Returns the length of its argument, so only the argument travels. */
export function size(payload: string): number {
  return payload.length;
}

/** Returns a string of `bytes` characters, so only the result travels. */
export function make(bytes: number): string {
  return "x".repeat(bytes);
}

/** Returns the length of its bytes, so only the binary argument travels. */
export function byteLength(bytes: Uint8Array): number {
  return bytes.byteLength;
}

/** Returns `bytes` bytes (filled, as data would be), copied back (structured clone). */
export function makeBytes(bytes: number): Uint8Array {
  return new Uint8Array(bytes).fill(1);
}

/** Returns `bytes` bytes (filled), moved back with `transfer()` instead of copied. */
export function makeBytesMoved(bytes: number): Uint8Array {
  return transfer(new Uint8Array(bytes).fill(1));
}

/** Decodes base64 to bytes and encodes them again: binary data in and out through JSON. */
export function echoBase64(data: string): string {
  return Buffer.from(data, "base64").toString("base64");
}
