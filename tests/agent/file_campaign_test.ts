/**
 * One file-based campaign (generate → process → aggregate over a sweep, wired by declared files
 * alone), run on the LocalBackend and through a real agent on loopback that has its own
 * directory: the agent's run stages the inputs there and brings the outputs back, ending with the
 * same files byte for byte; resumed, it runs nothing; with one output deleted, it reruns exactly
 * the task that makes it.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { Buffer } from "node:buffer";
import { type Backend, type TaskEvent, WorkflowEngine } from "../../mod.ts";
import { type AgentHandle, startAgent } from "../../agent/mod.ts";
import { RemoteBackend } from "../../backends/remote/mod.ts";
import { call } from "./helpers.ts";
import { runCliProcess } from "../cli/_helpers.ts";
import { campaignDir, fileCampaign } from "../fixtures/file_campaign.ts";

/** Every file under `dir`, by relative path, with its bytes. */
function filesOf(dir: string): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(relative(dir, path), readFileSync(path));
  }
  return files;
}

/** One run, resumed from the events of the one before when given; which tasks ran. */
async function run(
  dir: string,
  backend: () => Backend | undefined,
  previous?: readonly TaskEvent[],
): Promise<{ events: TaskEvent[]; ran: string[] }> {
  const done = (previous ?? []).filter((e) => e.type === "done" && e.memoKey !== undefined);
  const events: TaskEvent[] = [];
  const b = backend();
  {
    await using flow = await WorkflowEngine.create({
      recordResults: true,
      ...(b ? { backend: b } : {}),
      ...(previous
        ? {
          resume: new Map(done.map((e) => [e.memoKey!, e.result])),
          resumeFiles: new Map(done.map((e) => [e.memoKey!, e.files!])),
        }
        : {}),
    });
    flow.subscribe((e) => events.push(e));
    await fileCampaign(flow, dir, { seed: true });
  }
  const ran = events.filter((e) => e.type === "submitted").map((e) => e.name).sort();
  return { events, ran };
}

let agent: AgentHandle;
before(async () => {
  agent = await startAgent({ cores: 2 });
});
after(async () => await agent.close());

describe("a file campaign through an agent with its own directory", () => {
  it("ends with the same files as on the LocalBackend, byte for byte, and resumes by files", async (t) => {
    const local = campaignDir({ seed: true });
    const remote = campaignDir({ seed: true });
    t.after(() => {
      rmSync(local, { recursive: true, force: true });
      rmSync(remote, { recursive: true, force: true });
    });
    const agentBackend = () =>
      new RemoteBackend({ url: agent.url, token: agent.token, stagingRoot: remote });

    const here = await run(local, () => undefined);
    assert.equal(here.ran.length, 9);
    const first = await run(remote, agentBackend);
    assert.equal(first.ran.length, 9);
    // The inputs went through the agent's store, not a shared path: 4 texts and the seed at least.
    const files = (await call(agent, "GET", "/v1/metrics")).body.files as { stored: number };
    assert.ok(files.stored >= 5, `stored ${files.stored}`);
    // Nothing of the run was written into the client's directory but the declared outputs.
    const expected = filesOf(local);
    const got = filesOf(remote);
    assert.deepEqual([...got.keys()].sort(), [...expected.keys()].sort());
    for (const [path, bytes] of expected) {
      assert.ok(Buffer.from(got.get(path)!).equals(Buffer.from(bytes)), `${path} differs`);
    }
    assert.match(new TextDecoder().decode(got.get("out/all.dat")!), /^POINT 1\n/);

    const second = await run(remote, agentBackend, first.events);
    assert.deepEqual(second.ran, [], "a second run through the agent does nothing");

    rmSync(join(remote, "out/p3.dat"));
    const third = await run(remote, agentBackend, second.events.concat(first.events));
    assert.deepEqual(third.ran, ["process[3]"], "only the task that makes the deleted output");
    assert.ok(
      Buffer.from(readFileSync(join(remote, "out/p3.dat"))).equals(
        Buffer.from(expected.get("out/p3.dat")!),
      ),
    );
  });

  it("in YAML through `asyncflow run --backend remote`, ends with the same files and resumes", async (t) => {
    const local = campaignDir({ seed: true });
    const remote = campaignDir({ seed: true });
    t.after(() => {
      rmSync(local, { recursive: true, force: true });
      rmSync(remote, { recursive: true, force: true });
    });
    for (const dir of [local, remote]) writeFileSync(join(dir, "files.yaml"), YAML_CAMPAIGN);
    const cli = (dir: string, ...extra: string[]) =>
      runCliProcess(["run", "files.yaml", "--runs-dir", join(dir, ".runs"), ...extra], {
        cwd: dir,
      });
    const viaAgent = ["--backend", "remote", "--url", agent.url, "--token", agent.token];

    const here = await cli(local);
    assert.equal(here.code, 0, here.stderr);
    const first = await cli(remote, ...viaAgent);
    assert.equal(first.code, 0, first.stderr);
    const outputs = (dir: string) =>
      new Map([...filesOf(dir)].filter(([path]) => /^(gen|out)\//.test(path)));
    const expected = outputs(local);
    assert.equal(expected.size, 9);
    const got = outputs(remote);
    assert.deepEqual([...got.keys()].sort(), [...expected.keys()].sort());
    for (const [path, bytes] of expected) {
      assert.ok(Buffer.from(got.get(path)!).equals(Buffer.from(bytes)), `${path} differs`);
    }

    const second = await cli(remote, ...viaAgent, "--resume", "last");
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr + second.stdout, /nothing to do/);
  });
});

/** The same campaign in YAML, with paths relative to where `asyncflow run` starts. */
const YAML_CAMPAIGN = [
  "name: files",
  "tasks:",
  "  generate:",
  "    for_each: [1, 2, 3, 4]",
  "    command: mkdir -p gen && cat in/p${{ item }}.txt in/seed.bin > gen/p${{ item }}.dat",
  '    inputs: ["in/p${{ item }}.txt", in/seed.bin]',
  '    outputs: ["gen/p${{ item }}.dat"]',
  "  process:",
  "    for_each: [1, 2, 3, 4]",
  "    command: mkdir -p out && tr a-z A-Z < gen/p${{ item }}.dat > out/p${{ item }}.dat",
  '    inputs: ["gen/p${{ item }}.dat"]',
  '    outputs: ["out/p${{ item }}.dat"]',
  "  aggregate:",
  "    command: cat out/p*.dat > out/all.dat",
  "    inputs: [out/p1.dat, out/p2.dat, out/p3.dat, out/p4.dat]",
  "    outputs: [out/all.dat]",
].join("\n");
