/**
 * The bound on the agent's store of uploaded files (`maxStoreBytes`): an upload that does not fit
 * beside blobs used in the last minute is refused with 507 `store_full` and leaves nothing; after a
 * restart, blobs last used long ago make room, least recently used first; a chunked upload that
 * outgrows the store is stopped as it does. `asyncflow agent` takes both limits as sizes.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { startAgent } from "../../agent/mod.ts";
import { runCli } from "../cli/_helpers.ts";
import { call, openSession } from "./helpers.ts";
import { chunksOf, putRaw, sha256, uploadsUnderWay } from "./files_helpers.ts";

const STORE = 10_000;

describe("the agent's store of uploaded files", () => {
  it("refuses what does not fit with 507, and makes room from blobs last used long ago", async () => {
    const dir = mkdtempSync(`${tmpdir()}/asyncflow-quota-`);
    const [x, y] = ["x".repeat(6_000), "y".repeat(6_000)];
    try {
      {
        await using agent = await startAgent({ cores: 1, dir, maxStoreBytes: STORE });
        const sid = await openSession(agent);
        const put = (data: string) =>
          call(agent, "PUT", `/v1/sessions/${sid}/blobs/${sha256(data)}`, data);
        assert.equal((await put(x)).status, 201);
        // X was stored a moment ago: a client may be about to place it, so it stays.
        const refused = await put(y);
        assert.equal(refused.status, 507, JSON.stringify(refused.body));
        assert.equal(refused.body.error.code, "store_full");
        assert.match(
          refused.body.error.message,
          /holds 6000 bytes of its 10000 \(maxStoreBytes\).*--max-store-bytes/,
        );
        const head = await call(agent, "HEAD", `/v1/sessions/${sid}/blobs/${sha256(y)}`);
        assert.equal(head.status, 404);
        assert.deepEqual(uploadsUnderWay(dir), []);
        const { body } = await call(agent, "GET", "/v1/metrics");
        assert.deepEqual(
          [body.files.bytesHeld, body.files.maxStoreBytes, body.files.evicted],
          [6_000, STORE, 0],
        );
      }
      // Two minutes later (as the blob's time says), on a restarted agent: X makes room for Y.
      const old = (Date.now() - 120_000) / 1000;
      utimesSync(`${dir}/blobs/${sha256(x)}`, old, old);
      await using agent = await startAgent({ cores: 1, dir, maxStoreBytes: STORE });
      const sid = await openSession(agent);
      const blob = (data: string) => `/v1/sessions/${sid}/blobs/${sha256(data)}`;
      assert.equal((await call(agent, "PUT", blob(y), y)).status, 201);
      assert.equal((await call(agent, "HEAD", blob(x))).status, 404, "X made room");
      assert.equal((await call(agent, "HEAD", blob(y))).status, 200);
      const { body } = await call(agent, "GET", "/v1/metrics");
      assert.deepEqual([body.files.bytesHeld, body.files.evicted], [6_000, 1]);

      // Chunked, with no length to refuse it by: stopped as it outgrows the store.
      const big = new Uint8Array(11 * 1024).fill(7); // chunksOf(11, 1024)
      const r = await putRaw(agent, `/v1/sessions/${sid}/blobs/${sha256(big)}`, {
        chunks: chunksOf(11, 1024),
      });
      assert.ok(r !== "cut");
      assert.equal(r.status, 507);
      assert.equal(r.body.error.code, "store_full");
      assert.deepEqual(uploadsUnderWay(dir), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("asyncflow agent takes --max-file-bytes and --max-store-bytes as sizes, and refuses others", async () => {
    const bad = await runCli(["agent", "--max-store-bytes", "1.5G"]);
    assert.equal(bad.code, 2);
    assert.match(
      bad.stderr,
      /'--max-store-bytes' must be a size in bytes \(4096, 512M, 32G\), got the string "1\.5G"/,
    );
    const zero = await runCli(["agent", "--max-file-bytes", "0"]);
    assert.equal(zero.code, 2);
    assert.match(zero.stderr, /'--max-file-bytes' must be a size in bytes/);
    await assert.rejects(
      startAgent({ maxStoreBytes: -1 }),
      /asyncflow agent: 'maxStoreBytes' must be a positive integer, got number -1/,
    );
  });
});
