// `asyncflow run --backend remote`, end to end: the CLI's engine talks to a real agent on loopback.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type AgentHandle, startAgent } from "../../agent/mod.ts";
import { readFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { join } from "node:path";
import { runCli, tempDir } from "./_helpers.ts";

const tmp = tempDir();
let agent: AgentHandle;
let workflow: string;
let out: string;

before(async () => {
  // A workflow module is its own task module; the agent knows it by its file name.
  out = join(tmp.dir, "total.txt");
  workflow = tmp.write(
    "remote_flow.ts",
    [
      "export function square(n: number): number {",
      "  return n * n;",
      "}",
      "// deno-lint-ignore no-explicit-any",
      "export default async function (flow: any): Promise<void> {",
      "  const sq = flow.functionTask(square);",
      `  const save = flow.executableTask((n: number) => ["sh", "-c", 'echo "total=$1" > ${out}', "sh", String(n)]);`,
      "  const total = await Promise.all([sq(3), sq(4)]);",
      "  await save(total[0] + total[1]);",
      "}",
      "",
    ].join("\n"),
  );
  agent = await startAgent({ modules: { remote_flow: workflow } });
});
after(async () => {
  await agent.close();
  tmp.cleanup();
});

/** `asyncflow run <workflow> --backend remote` against the test agent, quietly. */
function runRemote(token: string, ...extra: string[]) {
  return runCli([
    "run",
    workflow,
    "--backend",
    "remote",
    "--url",
    agent.url,
    "--token",
    token,
    "-q",
    ...extra,
  ]);
}

describe("asyncflow run --backend remote", () => {
  it("runs a workflow's functions and commands on an agent, by URL and token", async () => {
    const r = await runRemote(agent.token, "--json");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      readFileSync(out, "utf8"),
      "total=25\n",
      "the command ran, with the functions' results",
    );
    const summary = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
    assert.deepEqual(summary.backends, ["remote"]);
    assert.equal(summary.tasks.done, 3);
  });

  it("refuses a wrong token in one line, with exit code 2: nothing ran", async () => {
    const r = await runRemote("x".repeat(43));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^asyncflow run: .*401 unauthorized: wrong token[^\n]*\n$/);
  });

  it("says in one line, with exit code 2, that no agent listens at the address", async () => {
    // A port that was free a moment ago: nothing listens there.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const r = await runCli([
      "run",
      workflow,
      "--backend",
      "remote",
      "--url",
      `http://127.0.0.1:${port}`,
      "--token",
      agent.token,
    ]);
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      `asyncflow run: RemoteBackend 'remote': cannot open a session on the agent at http://127.0.0.1:${port}: ` +
        "connection refused (ECONNREFUSED): is the agent running, and is this its address?\n",
    );
  });
});
