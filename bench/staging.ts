/**
 * Staging files through the agent over loopback, the agent in a process of its own: a file
 * uploaded into its store (`PUT …/blobs/{sha256}`, streamed from the file) and downloaded back
 * (`GET …/files?path=`, streamed to a file), in MB/s, beside a plain copy of the same file on
 * the same disk measured in the same round (the floor); then a task through `RemoteBackend`
 * whose input and output are that size (hash, upload, placement, command, download), and the
 * same task again, which must upload nothing (the agent's `/v1/metrics` counts what it stored).
 *
 *     deno run -A bench/staging.ts | bun bench/staging.ts | node bench/staging.ts
 *     (--size MB, default 64; --runs N, default 5)
 */
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { RemoteBackend } from "../backends/remote/mod.ts";
import { fingerprint, readStream, writeStream } from "../backends/remote/file_transfer.ts";
import { agentFetch } from "../backends/remote/http.ts";
import { runtime } from "../src/host/runtime.ts";
import { agentProcess } from "../tests/agent/helpers.ts";
import { driven } from "../tests/agent/staging_helpers.ts";
import { median, spread } from "./stats.ts";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const MB = arg("--size", 64);
const RUNS = arg("--runs", 5);
const bytes = MB * 1024 * 1024;

const base = mkdtempSync(join(tmpdir(), "asyncflow-bench-staging-"));
const agent = await agentProcess(join(base, "agent"), ["--cores", "2", "--log-level", "error"]);
const endpoint = { url: agent.url, token: agent.token };
const root = join(base, "client");
mkdirSync(root);
const stored = async () =>
  (await (await agentFetch(endpoint, "/v1/metrics")).json()).files.stored as number;

const rate = (ms: number) => MB / (ms / 1000);
const time = async (f: () => Promise<unknown> | unknown) => {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
};

const rows = { copy: [], up: [], down: [], task: [], again: [] } as Record<string, number[]>;
let resent = 0;
const { session } = await (await agentFetch(endpoint, "/v1/sessions", {
  method: "POST",
  body: {},
})).json();
for (let run = 0; run < RUNS; run++) {
  const file = join(root, "in.bin");
  writeFileSync(file, randomBytes(bytes)); // new content each round: nothing is deduplicated
  const { sha256 } = (await fingerprint(file, "in.bin"))!;
  rows.copy!.push(rate(await time(() => copyFileSync(file, join(base, "copy.bin")))));
  rows.up!.push(rate(
    await time(async () => {
      const res = await agentFetch(endpoint, `/v1/sessions/${session}/blobs/${sha256}`, {
        method: "PUT",
        stream: readStream(file),
      });
      await res.body?.cancel();
    }),
  ));
  await (await agentFetch(endpoint, `/v1/sessions/${session}/files`, {
    method: "POST",
    body: { files: [{ path: "in.bin", sha256 }] },
  })).body?.cancel();
  rows.down!.push(rate(
    await time(async () => {
      const res = await agentFetch(endpoint, `/v1/sessions/${session}/files?path=in.bin`);
      await writeStream(res.body!, join(base, "down.bin"));
    }),
  ));

  // Through the backend: a fresh content, then the same task again in a new session.
  writeFileSync(file, randomBytes(bytes));
  for (const row of ["task", "again"]) {
    const c = await driven(
      new RemoteBackend({ ...endpoint, stagingRoot: root, name: `bench-${run}-${row}` }),
      root,
    );
    const before = await stored();
    let state = "";
    const ms = await time(async () => {
      state = (await c.run({
        command: "cp in.bin out.bin",
        files: { inputs: ["in.bin"], outputs: ["out.bin"] },
      })).state;
    });
    if (state !== "done") throw new Error(`the staged task ended ${state}`);
    if (row === "again") resent += (await stored()) - before;
    rows[row]!.push(rate(ms));
    await c.close();
  }
}

const load = loadavg().map((l) => l.toFixed(1)).join(" ");
console.log(`staging ${MB} MiB over loopback, ${runtime}, ${RUNS} runs, load ${load}`);
console.log("MB/s: median (min–max); ratio: median of the medians to the copy floor");
for (
  const [name, what] of [
    ["copy", "plain copy on the same disk (floor)"],
    ["up", "upload into the agent's store"],
    ["down", "download from the staging directory"],
    ["task", "task: hash + upload + place + cp + download"],
    ["again", "same input again (not uploaded)"],
  ] as const
) {
  const xs = rows[name]!;
  const ratio = (median(xs) / median(rows.copy!)).toFixed(2);
  console.log(
    `  ${what.padEnd(46)} ${median(xs).toFixed(0).padStart(6)} (${spread(xs)})  ${ratio}×`,
  );
}
console.log(`  blobs stored again for the same input: ${resent}`);
await agent.stop();
rmSync(base, { recursive: true, force: true });
