import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { LocalBackend, WorkflowEngine } from "../mod.ts";
import { RemoteBackend } from "../backends/remote/mod.ts";
import { type AgentProcess, agentProcess } from "./agent/helpers.ts";

let tmp: string;
before(() => {
  tmp = realpathSync(mkdtempSync(join(tmpdir(), "asyncflow-cwd-")));
  mkdirSync(join(tmp, "sub"));
  mkdirSync(join(tmp, "agent-home", "sub"), { recursive: true });
});
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Where `/bin/pwd` runs for each `cwd`, through `flow`. */
async function wheres(flow: WorkflowEngine, cwds: (string | undefined)[]): Promise<string[]> {
  const pwd = flow.executableTask(() => ["/bin/pwd"]);
  const out = await Promise.all(
    cwds.map((cwd) => (cwd === undefined ? pwd() : pwd.with({ cwd })())),
  );
  return out.map((s) => s.trimEnd());
}

describe("the working directory of a command", () => {
  it("local: the process's directory by default; a relative cwd is relative to it", async () => {
    await using flow = await WorkflowEngine.create();
    const here = realpathSync(process.cwd());
    assert.deepEqual(await wheres(flow, [undefined, "..", tmp]), [here, dirname(here), tmp]);
  });

  it("local: LocalBackend({ cwd }) sets the directory and the base of relative ones", async () => {
    await using flow = await WorkflowEngine.create({ backend: new LocalBackend({ cwd: tmp }) });
    assert.deepEqual(await wheres(flow, [undefined, "sub", "./sub/..", "/"]), [
      tmp,
      join(tmp, "sub"),
      tmp,
      "/",
    ]);
  });

  it("local: a missing directory is named, resolved", async () => {
    await using flow = await WorkflowEngine.create({ backend: new LocalBackend({ cwd: tmp }) });
    const pwd = flow.executableTask(() => ["/bin/pwd"], { cwd: "nowhere" });
    await assert.rejects(
      pwd(),
      new RegExp(`working directory '${join(tmp, "nowhere")}' does not exist`),
    );
  });

  describe("agent", () => {
    let agent: AgentProcess;
    const home = () => join(tmp, "agent-home");
    before(async () => {
      // The agent is started in its own directory, as a pilot is (Slurm starts it in the submit directory).
      agent = await agentProcess(join(tmp, "agent-dir"), [], [
        "/bin/sh",
        "-c",
        'mkdir -p "$0" && cd "$0" && exec "$@"',
        home(),
      ]);
    });
    after(async () => await agent?.stop());

    it("agent: the directory it was started in by default; a relative cwd is relative to it", async () => {
      const backend = new RemoteBackend({ url: agent.url, token: agent.token });
      await using flow = await WorkflowEngine.create({ backend });
      assert.deepEqual(await wheres(flow, [undefined, "sub", tmp]), [
        home(),
        join(home(), "sub"),
        tmp,
      ]);
    });
  });
});
