/**
 * The agent's file routes under attack: no token, hostile paths (`..`, absolute, NUL, a symbolic
 * link planted in the staging directory), uploads that are too large (declared, or passing the
 * limit mid-stream), cut short, of the wrong hash, or that meet a full disk. Each leaves nothing
 * behind, and the agent goes on serving.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import process from "node:process";
import { type AgentHandle, startAgent } from "../../agent/mod.ts";
import { call, fillDisk, openSession, readEvents, smallDisk, waitFor } from "./helpers.ts";
import { chunksOf, putRaw, sha256, uploadsUnderWay } from "./files_helpers.ts";

const LIMIT = 1024 * 1024;
let agent: AgentHandle;
let sid: string;

before(async () => {
  agent = await startAgent({ cores: 1, maxFileBytes: LIMIT });
  sid = await openSession(agent);
});
after(async () => await agent.close());

const blob = (sha: string) => `/v1/sessions/${sid}/blobs/${sha}`;
const files = () => `/v1/sessions/${sid}/files`;
const work = () => `${agent.dir}/sessions/${sid}/work`;

async function upload(data: string): Promise<string> {
  const sha = sha256(data);
  const r = await call(agent, "PUT", blob(sha), data);
  assert.ok(r.status === 201 || r.status === 200, JSON.stringify(r.body));
  return sha;
}

describe("the agent's file routes", () => {
  it("require the token: 401 without one or with a wrong one, on every file route", async () => {
    const sha = sha256("x");
    const wrong = { url: agent.url, token: `${agent.token.slice(0, -1)}x` };
    const routes: [string, string, unknown][] = [
      ["HEAD", blob(sha), undefined],
      ["PUT", blob(sha), "x"],
      ["POST", files(), { dirs: ["a"] }],
      ["GET", `${files()}?path=a`, undefined],
      ["POST", `${files()}/fingerprints`, { paths: ["a"] }],
    ];
    for (const [method, path, body] of routes) {
      const init: RequestInit = { method };
      if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
      assert.equal((await fetch(`${agent.url}${path}`, init)).status, 401, `${method} ${path}`);
      assert.equal((await call(wrong, method, path, body)).status, 401, `${method} ${path}`);
    }
    assert.equal((await call(agent, "HEAD", blob(sha))).status, 404, "nothing was stored");
  });

  it("stores a blob once: HEAD says whether it is there, and a second PUT is answered without its body", async () => {
    const data = "content-addressed\n";
    const sha = sha256(data);
    assert.equal((await call(agent, "HEAD", blob(sha))).status, 404);
    const first = await call(agent, "PUT", blob(sha), data);
    assert.deepEqual([first.status, first.body.stored, first.body.size], [201, true, data.length]);
    assert.equal((await call(agent, "HEAD", blob(sha))).status, 200);
    // It declares a body it never sends: only an answer that does not wait for it comes back.
    const again = await putRaw(agent, blob(sha), { length: 1000, chunks: [], cut: false });
    assert.ok(again !== "cut");
    assert.deepEqual([again.status, again.body.stored], [200, false]);
  });

  it("refuses a wrong hash with 422 and keeps nothing", async () => {
    const sha = sha256("what was promised");
    const r = await call(agent, "PUT", blob(sha), "something else");
    assert.equal(r.status, 422);
    assert.equal(r.body.error.code, "hash_mismatch");
    assert.match(r.body.error.message, new RegExp(`${sha256("something else")}, not ${sha}`));
    assert.equal((await call(agent, "HEAD", blob(sha))).status, 404);
    assert.deepEqual(uploadsUnderWay(agent.dir), []);
    const log = readFileSync(`${agent.dir}/agent.log`, "utf8");
    assert.match(log, new RegExp(`upload refused .*sha256=${sha} why=hash_mismatch`));
  });

  it("refuses a body declared over maxFileBytes before reading it, with 413", async () => {
    const r = await putRaw(agent, blob(sha256("big")), { length: LIMIT + 1, chunks: [] });
    assert.ok(r !== "cut");
    assert.equal(r.status, 413);
    assert.equal(r.body.error.code, "too_large");
    assert.match(r.body.error.message, new RegExp(`limit of ${LIMIT} bytes`));
    assert.deepEqual(uploadsUnderWay(agent.dir), []);
  });

  it("stops a chunked body as it passes the limit, answering 413 while it is still being sent", async () => {
    // 64 MiB offered in 64 KiB chunks: the answer must come long before they are all sent.
    const r = await putRaw(agent, blob(sha256("endless")), { chunks: chunksOf(1024, 64 * 1024) });
    assert.ok(r !== "cut");
    assert.equal(r.status, 413);
    assert.ok(r.sentBeforeAnswer < 32 * LIMIT, `answered after ${r.sentBeforeAnswer} bytes`);
    await waitFor(() => uploadsUnderWay(agent.dir).length === 0, "the partial upload removed");
    assert.equal((await call(agent, "HEAD", blob(sha256("endless")))).status, 404);
  });

  it("keeps nothing of an upload cut mid-body, and takes the same upload again", async () => {
    const data = new Uint8Array(256 * 1024).fill(42);
    const sha = sha256(data);
    const cut = await putRaw(agent, blob(sha), {
      length: data.length,
      chunks: [data.subarray(0, 100_000)],
      cut: true,
    });
    assert.equal(cut, "cut");
    await waitFor(() => uploadsUnderWay(agent.dir).length === 0, "the cut upload removed");
    assert.equal((await call(agent, "HEAD", blob(sha))).status, 404);
    const retried = await putRaw(agent, blob(sha), { length: data.length, chunks: [data] });
    assert.ok(retried !== "cut");
    assert.equal(retried.status, 201);
  });

  it("refuses hostile paths as text: '..', absolute, NUL, not normalised, too long", async () => {
    const sha = await upload("payload");
    const hostile = [
      "../escape",
      "a/../../escape",
      "/etc/passwd",
      "a\u0000b",
      "a//b",
      "./a",
      "a/",
      `${"d/".repeat(2100)}f`,
      "n".repeat(256),
    ];
    for (const path of hostile) {
      const placed = await call(agent, "POST", files(), { files: [{ path, sha256: sha }] });
      assert.equal(placed.status, 400, path.slice(0, 40));
      const made = await call(agent, "POST", files(), { dirs: [path] });
      assert.equal(made.status, 400, path.slice(0, 40));
      const read = await call(agent, "GET", `${files()}?path=${encodeURIComponent(path)}`);
      assert.equal(read.status, 400, path.slice(0, 40));
      assert.equal(read.body.error.code, "bad_path");
    }
    assert.ok(!existsSync(`${agent.dir}/sessions/escape`) && !existsSync(`${agent.dir}/escape`));
    const task = { id: "up", kind: "executable", command: "true", staged: true, cwd: "../.." };
    const submitted = await call(agent, "POST", `/v1/sessions/${sid}/tasks`, { tasks: [task] });
    assert.equal(submitted.body.results[0].status, "rejected");
    assert.match(submitted.body.results[0].error, /cwd.*relative path inside/);
  });

  it("refuses a symbolic link planted in the staging directory, as a directory or as the file", async () => {
    const sha = await upload("payload");
    assert.equal((await call(agent, "POST", files(), { dirs: ["."] })).status, 400);
    assert.equal((await call(agent, "POST", files(), { dirs: ["ok"] })).status, 200);
    const outside = mkdtempSync(`${tmpdir()}/asyncflow-outside-`);
    writeFileSync(`${outside}/secret`, "not yours");
    symlinkSync(outside, `${work()}/evil`);
    symlinkSync(`${outside}/secret`, `${work()}/link`);
    const placed = await call(agent, "POST", files(), { files: [{ path: "evil/x", sha256: sha }] });
    assert.equal(placed.status, 400);
    assert.match(placed.body.error.message, /symbolic link the agent did not make/);
    assert.deepEqual(readdirSync(outside), ["secret"]);
    const over = await call(agent, "POST", files(), { files: [{ path: "link", sha256: sha }] });
    assert.equal(over.status, 400);
    for (const path of ["evil/secret", "link"]) {
      const read = await call(agent, "GET", `${files()}?path=${path}`);
      assert.equal(read.status, 400, path);
      assert.doesNotMatch(JSON.stringify(read.body), /not yours/);
      const fp = await call(agent, "POST", `${files()}/fingerprints`, { paths: [path] });
      assert.equal(fp.status, 400, path);
    }
  });

  it("places a stored blob, reads it back, fingerprints it, and names what is missing", async () => {
    const data = "placed\n";
    const sha = await upload(data);
    const unknown = sha256("never uploaded");
    const refused = await call(agent, "POST", files(), {
      files: [{ path: "in/a.txt", sha256: sha }, { path: "in/b.txt", sha256: unknown }],
    });
    assert.equal(refused.status, 409);
    assert.deepEqual(refused.body.missing, [unknown]);
    assert.ok(!existsSync(`${work()}/in/a.txt`), "all or nothing: nothing placed");
    const placed = await call(agent, "POST", files(), {
      dirs: ["out"],
      files: [{ path: "in/a.txt", sha256: sha }],
    });
    assert.deepEqual([placed.status, placed.body.placed], [200, 1]);
    assert.equal((await call(agent, "GET", `${files()}?path=in/a.txt`)).body, data);
    const fp = await call(agent, "POST", `${files()}/fingerprints`, {
      paths: ["in/a.txt", "out/none"],
    });
    assert.deepEqual(fp.body.files.map((f: { sha256: string }) => f.sha256), [sha]);
    assert.deepEqual(fp.body.missing, ["out/none"]);
    const none = await call(agent, "GET", `${files()}?path=out/none`);
    assert.equal(none.status, 404);
    assert.equal(none.body.error.code, "no_such_file");
  });

  it("runs a staged command in the staging directory, its cwd inside it", async () => {
    await call(agent, "POST", files(), { dirs: ["sub"] });
    const task = { id: "where", kind: "executable", command: "pwd", staged: true, cwd: "sub" };
    await call(agent, "POST", `/v1/sessions/${sid}/tasks`, { tasks: [task] });
    const events = await readEvents(
      agent,
      sid,
      0,
      (es) => es.some((e) => e.id === "where" && e.state === "done"),
    );
    const done = events.find((e) => e.id === "where" && e.state === "done")!;
    assert.equal(String(done.value).trim(), `${work()}/sub`);
  });
});

const notRoot = process.getuid?.() !== 0 && "mounting a small tmpfs needs root";

describe("the agent's file routes on a full disk", () => {
  it(
    "answer 507 to an upload and to a placement, leave nothing half-written, and take them again once there is space",
    {
      skip: notRoot,
    },
    async () => {
      const disk = smallDisk(2048)!;
      try {
        await using small = await startAgent({ dir: disk.dir, cores: 1 });
        const s = await openSession(small);
        const data = new Uint8Array(512 * 1024).fill(9);
        const sha = sha256(data);
        const full = fillDisk(disk.dir);
        const r = await putRaw(small, `/v1/sessions/${s}/blobs/${sha}`, {
          length: data.length,
          chunks: [data],
        });
        assert.ok(r !== "cut");
        assert.equal(r.status, 507);
        assert.equal(r.body.error.code, "insufficient_storage");
        assert.deepEqual(uploadsUnderWay(small.dir), []);
        assert.equal((await call(small, "HEAD", `/v1/sessions/${s}/blobs/${sha}`)).status, 404);
        full.free();
        const stored = await putRaw(small, `/v1/sessions/${s}/blobs/${sha}`, {
          length: data.length,
          chunks: [data],
        });
        assert.ok(stored !== "cut" && stored.status === 201);
        mkdirSync(`${small.dir}/sessions/${s}/work`, { recursive: true });
        const again = fillDisk(disk.dir);
        const placed = await call(small, "POST", `/v1/sessions/${s}/files`, {
          files: [{ path: "in.bin", sha256: sha }],
        });
        assert.equal(placed.status, 507);
        assert.deepEqual(
          readdirSync(`${small.dir}/sessions/${s}/work`),
          [],
          "no partial copy left",
        );
        again.free();
        const retried = await call(small, "POST", `/v1/sessions/${s}/files`, {
          files: [{ path: "in.bin", sha256: sha }],
        });
        assert.equal(retried.status, 200);
      } finally {
        disk.unmount();
      }
    },
  );
});
