/**
 * Binary data through an agent as files, not as base64 in JSON: each task's bytes are written to
 * a file the command declares as its input, staged to the agent (uploaded once per content, as
 * raw bytes), and the file it declares as its output is fetched back before the task is done.
 * Here an agent on this machine (as `asyncflow agent` would run it) compresses four blocks of
 * random bytes with `gzip`, and the client checks that each decompresses to what it sent.
 *
 * Run: `deno run -A examples/binary_files.ts`, `bun examples/binary_files.ts` or
 * `node examples/binary_files.ts`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { WorkflowEngine } from "../mod.ts";
import { RemoteBackend } from "../backends/remote/mod.ts";
import { startAgent } from "../agent/mod.ts";

const base = mkdtempSync(join(tmpdir(), "asyncflow-binary-"));
const root = join(base, "client"); // the client's side of the staging
mkdirSync(join(root, "in"), { recursive: true });
const agent = await startAgent({ cores: 2, dir: join(base, "agent") }); // its store and journal
try {
  const backend = new RemoteBackend({ url: agent.url, token: agent.token, stagingRoot: root });
  await using flow = await WorkflowEngine.create({ backend });
  const compress = flow.executableTask((i: number) => `gzip -c in/${i}.bin > out/${i}.bin.gz`, {
    cwd: root,
    inputs: (i: number) => [`in/${i}.bin`],
    outputs: (i: number) => [`out/${i}.bin.gz`],
  });
  const blocks = [1, 2, 3, 4].map((i) => {
    const bytes = randomBytes(1 << 20); // 1 MiB each
    writeFileSync(join(root, `in/${i}.bin`), bytes);
    return bytes;
  });
  await Promise.all(blocks.map((_, i) => compress(i + 1)));
  for (const [i, bytes] of blocks.entries()) {
    const back = gunzipSync(readFileSync(join(root, `out/${i + 1}.bin.gz`)));
    assert.ok(back.equals(bytes), `block ${i + 1} came back as it was sent`);
  }
  console.log(`${blocks.length} blocks of 1 MiB compressed on the agent and fetched back intact`);
} finally {
  await agent.close();
  rmSync(base, { recursive: true, force: true });
}
