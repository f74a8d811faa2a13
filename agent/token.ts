import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/**
 * The agent's bearer token: 256 random bits, base64url, never starting with
 * `-` (so `--token <it>` on a command line is never read as an option). Kept
 * in `path` with mode 0600 so only the owner can read it. An agent restarted
 * on the same directory reuses the token it finds there, so its clients
 * reconnect without being told a new secret.
 *
 * @param path The token file.
 * @param fresh Make a new token even if the file holds one.
 * @returns The token.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadOrCreateToken } from "./token.ts";
 * const dir = Deno.makeTempDirSync();
 * assert.equal(loadOrCreateToken(`${dir}/token`), loadOrCreateToken(`${dir}/token`));
 * assert.notEqual(loadOrCreateToken(`${dir}/token`, true)[0], "-");
 * ```
 */
export function loadOrCreateToken(path: string, fresh = false): string {
  if (!fresh && existsSync(path)) {
    const kept = readFileSync(path, "utf8").trim();
    if (TOKEN.test(kept)) {
      chmodSync(path, 0o600);
      return kept;
    }
  }
  let token: string;
  do token = randomBytes(32).toString("base64url"); while (token.startsWith("-"));
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  chmodSync(path, 0o600); // the mode of writeFileSync applies only to a file it creates
  return token;
}
