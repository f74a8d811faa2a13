/**
 * Staging declared files through the agent, end to end over loopback: a command on the agent
 * reads a staged input and writes outputs that come back byte for byte (binary, several MB,
 * streamed); a file already there is not sent again, across tasks and sessions; outputs can stay
 * on the agent and come back as fingerprints; a missing input or output fails the task saying
 * which; paths outside the staging root and function tasks are refused; a shared filesystem
 * uses paths in place; the pinned TLS connection stages too.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Buffer } from "node:buffer";
import { execFile } from "node:child_process";
import process from "node:process";
import { promisify } from "node:util";
import { runtime } from "../../src/host/runtime.ts";
import { type AgentHandle, startAgent } from "../../agent/mod.ts";
import { RemoteBackend, type RemoteBackendOptions } from "../../backends/remote/mod.ts";
import { call } from "./helpers.ts";
import * as fixtures from "../fixtures/task_functions.ts";
import { sha256 } from "./files_helpers.ts";
import { driven } from "./staging_helpers.ts";

let agent: AgentHandle;

before(async () => {
  agent = await startAgent({ cores: 2 });
});
after(async () => await agent.close());

const run = promisify(execFile);

/** A fresh client directory standing for the staging directory. */
const clientDir = () => mkdtempSync(join(tmpdir(), "asyncflow-client-"));

async function client(root: string, o: Partial<RemoteBackendOptions> = {}) {
  const backend = new RemoteBackend({
    url: agent.url,
    token: agent.token,
    stagingRoot: root,
    ...o,
  });
  return await driven(backend, root);
}

const filesMetrics = async (a: AgentHandle = agent) =>
  (await call(a, "GET", "/v1/metrics")).body.files as {
    stored: number;
    placed: number;
    refused: number;
  };

describe("staging declared files through the agent", () => {
  it("brings a command's outputs back byte for byte from a staged binary input of several MB", async () => {
    const root = clientDir();
    mkdirSync(join(root, "in"));
    const data = randomBytes(6 * 1024 * 1024 + 13); // every byte value, no line structure
    writeFileSync(join(root, "in/data.bin"), data);
    const c = await client(root);
    try {
      const before = await filesMetrics();
      const done = await c.run({
        command:
          "cat in/data.bin in/data.bin > out/twice.bin && printf '\\000\\001\\377' > out/small.bin",
        files: { inputs: ["in/data.bin"], outputs: ["out/twice.bin", "out/small.bin"] },
      });
      assert.equal(done.state, "done", done.error?.message);
      const twice = readFileSync(join(root, "out/twice.bin"));
      assert.equal(twice.length, 2 * data.length);
      assert.ok(
        twice.subarray(0, data.length).equals(data) && twice.subarray(data.length).equals(data),
      );
      assert.deepEqual([...readFileSync(join(root, "out/small.bin"))], [0, 1, 255]);
      assert.equal(
        done.record?.outputs,
        undefined,
        "brought back: the engine fingerprints them itself",
      );
      assert.match(String(done.record?.cwd), /\/sessions\/[0-9a-f]{32}\/work$/);
      const after = await filesMetrics();
      assert.equal(after.stored - before.stored, 1, "one blob uploaded");
    } finally {
      await c.close();
    }
  });

  it("does not send a file the agent has again, for another task or another session", async () => {
    const root = clientDir();
    writeFileSync(join(root, "params.json"), JSON.stringify({ seed: 42, run: root }));
    const first = await client(root);
    const second = await client(root);
    try {
      const before = await filesMetrics();
      const read = { command: "cat params.json", files: { inputs: ["params.json"], outputs: [] } };
      for (const c of [first, first, second]) {
        const r = await c.run(read);
        assert.equal(r.state, "done", r.error?.message);
        assert.match(String(r.value), /"seed":42/);
      }
      const after = await filesMetrics();
      assert.equal(
        after.stored - before.stored,
        1,
        "uploaded once for three tasks in two sessions",
      );
      assert.equal(after.placed - before.placed, 2, "placed once in each session's directory");
      writeFileSync(join(root, "params.json"), JSON.stringify({ seed: 43 })); // a new content
      assert.match(String((await second.run(read)).value), /"seed":43/);
      assert.equal((await filesMetrics()).stored - after.stored, 1);
    } finally {
      await first.close();
      await second.close();
    }
  });

  it("uploads an input shared by a sweep submitted at once a single time", async () => {
    const root = clientDir();
    writeFileSync(join(root, "shared.bin"), randomBytes(512 * 1024));
    const c = await client(root);
    try {
      const before = await filesMetrics();
      const sweep = await Promise.all(Array.from({ length: 8 }, (_, i) =>
        c.run({
          command: `wc -c < shared.bin > out/${i}.txt`,
          files: { inputs: ["shared.bin"], outputs: [`out/${i}.txt`] },
        })));
      assert.deepEqual(sweep.map((r) => r.state), new Array(8).fill("done"));
      assert.equal(readFileSync(join(root, "out/7.txt"), "utf8").trim(), String(512 * 1024));
      assert.equal((await filesMetrics()).stored - before.stored, 1);
    } finally {
      await c.close();
    }
  });

  it("runs a task whose cwd is below the staging root at the same relative place, its paths relative to that cwd", async () => {
    const root = clientDir();
    mkdirSync(join(root, "sub"));
    writeFileSync(join(root, "sub/in.txt"), "inside\n");
    const c = await client(root);
    try {
      const r = await c.run({
        cwd: join(root, "sub"),
        command: "tr a-z A-Z < in.txt > ../out/upper.txt",
        files: { inputs: ["in.txt"], outputs: ["../out/upper.txt"] },
      });
      assert.equal(r.state, "done", r.error?.message);
      assert.equal(readFileSync(join(root, "out/upper.txt"), "utf8"), "INSIDE\n");
      assert.match(String(r.record?.cwd), /\/work\/sub$/);
    } finally {
      await c.close();
    }
  });

  it("with stageOut 'never' leaves outputs on the agent, reports their fingerprints, and a later task reads them there", async () => {
    const root = clientDir();
    const c = await client(root, { stageOut: "never" });
    try {
      const made = await c.run({
        command: "printf 'kept there' > out.txt",
        files: { inputs: [], outputs: ["out.txt"] },
      });
      assert.equal(made.state, "done", made.error?.message);
      assert.ok(!existsSync(join(root, "out.txt")), "not brought back");
      const [fp] = made.record!.outputs!;
      assert.deepEqual([fp!.path, fp!.size, fp!.sha256], ["out.txt", 10, sha256("kept there")]);
      const next = await c.run({
        command: "cat out.txt",
        files: { inputs: ["out.txt"], outputs: [] },
      });
      assert.equal(next.state, "done", next.error?.message);
      assert.equal(next.value, "kept there");
    } finally {
      await c.close();
    }
  });

  it("fails a task whose declared output the command did not write, or whose input the client lacks, saying which", async () => {
    const root = clientDir();
    for (const stageOut of ["always", "never"] as const) {
      const c = await client(root, { stageOut });
      try {
        const r = await c.run({
          command: "true",
          files: { inputs: [], outputs: ["out/none.dat"] },
        });
        assert.equal(r.state, "failed");
        assert.match(
          r.error!.message,
          /did not write its declared output "out\/none\.dat"/,
          stageOut,
        );
        const lacking = await c.run({
          command: "true",
          files: { inputs: ["nope.dat"], outputs: [] },
        });
        assert.equal(lacking.state, "failed");
        assert.match(lacking.error!.message, /input "nope\.dat" .* does not exist on the client/);
      } finally {
        await c.close();
      }
    }
  });

  it("refuses what it cannot stage (a path outside the staging root, relative files of a function), and takes a name that starts with ..", async () => {
    const root = clientDir();
    const c = await client(root, { modules: { fixtures } });
    try {
      const outside = await c.run({
        command: "true",
        files: { inputs: ["../elsewhere.dat"], outputs: [] },
      });
      assert.equal(outside.state, "failed");
      assert.match(outside.error!.message, /"\.\.\/elsewhere\.dat" is outside the staging root/);
      writeFileSync(join(root, "..dotted.dat"), "a name, not a way out");
      const dotted = await c.run({
        command: "cat ..dotted.dat",
        files: { inputs: ["..dotted.dat"], outputs: [] },
      });
      assert.equal(dotted.value, "a name, not a way out");
      const fn = await c.run({
        kind: "function",
        fn: fixtures.echo,
        files: { inputs: ["a"], outputs: [] },
      });
      assert.equal(fn.state, "failed");
      assert.match(fn.error!.message, /is a function and declares relative files/);
    } finally {
      await c.close();
    }
  });

  it("uploads again what the agent's store lost since it was sent", async () => {
    const root = clientDir();
    writeFileSync(join(root, "in.txt"), "kept in the store");
    const c = await client(root);
    try {
      const read = { command: "cat in.txt", files: { inputs: ["in.txt"], outputs: [] } };
      assert.equal((await c.run(read)).value, "kept in the store");
      rmSync(join(agent.dir, "blobs", sha256("kept in the store"))); // as a wiped store would be
      // The same content at another path: the client knows the blob was sent, the store lacks it.
      writeFileSync(join(root, "copy.txt"), "kept in the store");
      const before = await filesMetrics();
      const again = await c.run({
        command: "cat copy.txt",
        files: { inputs: ["copy.txt"], outputs: [] },
      });
      assert.equal(again.state, "done", again.error?.message);
      assert.equal(again.value, "kept in the store");
      assert.equal((await filesMetrics()).stored - before.stored, 1, "sent again");
    } finally {
      await c.close();
    }
  });

  it("uses paths in place on a shared filesystem: nothing is uploaded", async () => {
    const root = clientDir();
    writeFileSync(join(root, "shared.txt"), "in place");
    const c = await client(root, { sharedFilesystem: true });
    try {
      const before = await filesMetrics();
      const r = await c.run({
        cwd: root,
        command: "cat shared.txt > copy.txt",
        files: { inputs: ["shared.txt"], outputs: ["copy.txt"] },
      });
      assert.equal(r.state, "done", r.error?.message);
      assert.equal(readFileSync(join(root, "copy.txt"), "utf8"), "in place");
      assert.equal(r.record?.cwd, root);
      assert.deepEqual(await filesMetrics(), before);
    } finally {
      await c.close();
    }
  });

  it("uploads a file without holding it in memory: a 130 MiB upload (more than Bun lets through by default) grows the client's peak by less than 96 MiB", async () => {
    // In a process of its own, so that nothing else moves its peak.
    const script = new URL("./fixtures/upload_memory.ts", import.meta.url).pathname;
    const argv = runtime === "deno" ? ["run", "-A", script] : [script];
    const { stdout } = await run(process.execPath, [
      ...argv,
      join(agent.dir, "endpoint.json"),
      "130",
    ]);
    const { grewMiB, size } = JSON.parse(stdout);
    assert.equal(size, 130 * 1024 * 1024);
    assert.ok(grewMiB < 96, `the peak grew by ${grewMiB} MiB`);
  });

  it("fails a task whose input is over the agent's maxFileBytes before sending it", async () => {
    await using small = await startAgent({ cores: 1, maxFileBytes: 1024 });
    const root = clientDir();
    writeFileSync(join(root, "big.dat"), new Uint8Array(2048));
    const backend = new RemoteBackend({ url: small.url, token: small.token, stagingRoot: root });
    const c = await driven(backend, root);
    try {
      const r = await c.run({ command: "true", files: { inputs: ["big.dat"], outputs: [] } });
      assert.equal(r.state, "failed");
      assert.match(
        r.error!.message,
        /big\.dat \(2048 bytes\) is larger than the agent's limit of 1024 bytes/,
      );
      assert.equal((await filesMetrics(small)).refused, 0, "refused by the client: nothing sent");
    } finally {
      await c.close();
    }
  });

  it("stages through the pinned TLS connection too", async () => {
    await using tls = await startAgent({ cores: 1, tls: "self-signed" });
    const root = clientDir();
    const data = Buffer.from(randomBytes(1024 * 1024 + 7));
    writeFileSync(join(root, "in.bin"), data);
    const backend = RemoteBackend.fromEndpointFile(join(tls.dir, "endpoint.json"), {
      stagingRoot: root,
    });
    const c = await driven(backend, root);
    try {
      const r = await c.run({
        command: "cp in.bin out.bin",
        files: { inputs: ["in.bin"], outputs: ["out.bin"] },
      });
      assert.equal(r.state, "done", r.error?.message);
      assert.ok(readFileSync(join(root, "out.bin")).equals(data));
    } finally {
      await c.close();
    }
  });
});
