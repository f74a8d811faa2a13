/**
 * The agent's token file: kept and reused, replaced when malformed, mode 0600, and a new token
 * never starts with `-` — `--token <it>` on a command line would be read as an option (one token
 * in 64 did, and `asyncflow run --token` refused it as an ambiguous argument).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadOrCreateToken } from "../../agent/token.ts";

describe("the agent's token", () => {
  it("is 256 bits of base64url that never start with '-', in a 0600 file that is reused", () => {
    const dir = mkdtempSync(join(tmpdir(), "asyncflow-token-"));
    try {
      const path = join(dir, "token");
      const first = loadOrCreateToken(path);
      assert.equal(loadOrCreateToken(path), first);
      assert.equal(statSync(path).mode & 0o777, 0o600);
      // With 2,000 fresh tokens, a leading '-' (1 in 64 each) would show about 31 times.
      for (let i = 0; i < 2_000; i++) {
        const token = loadOrCreateToken(path, true);
        assert.match(token, /^[A-Za-z0-9_][A-Za-z0-9_-]{42}$/);
      }
      writeFileSync(path, "not a token\n");
      assert.notEqual(loadOrCreateToken(path), "not a token");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
