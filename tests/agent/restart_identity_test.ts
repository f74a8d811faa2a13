/**
 * A restarted agent kills only the commands its predecessor started: the journal holds each
 * process's pid with its start time, the boot and the host, and a group is killed only on a
 * match (pid reuse after a reboot, another node sharing the directory). A command whose pid came
 * after it had exited (the launcher reports it a moment after the start) is journaled without a
 * start time: what it left in its group is killed while no other process holds the pid.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { startAgent } from "../../agent/mod.ts";
import { identify, identifyStarted } from "../../agent/process_identity.ts";
import { alive, startTime, waitFor } from "./helpers.ts";

const decoys: ChildProcess[] = [];
after(() => {
  for (const d of decoys) d.kill("SIGKILL");
});

/** A process that is not the agent's: a `sleep` leading its own process group. */
function decoy(): number {
  const child = spawn("sleep", ["30"], { detached: true, stdio: "ignore" });
  decoys.push(child);
  return child.pid!;
}

describe("a restarted agent and the processes its journal names", () => {
  it("kills a journaled process group only when pid, start time, boot and host all match", async () => {
    const dir = mkdtempSync(`${tmpdir()}/asyncflow-identity-`);
    const cases = {
      reused: (id: ReturnType<typeof identify> & object) => ({ ...id, start: id.start - 1 }),
      otherHost: (id: ReturnType<typeof identify> & object) => ({
        ...id,
        host: `not-${hostname()}`,
      }),
      otherBoot: (id: ReturnType<typeof identify> & object) => ({ ...id, boot: "0".repeat(36) }),
      pidOnly: (id: ReturnType<typeof identify> & object) => ({ pid: id.pid }),
      ours: (id: ReturnType<typeof identify> & object) => id,
    };
    const pids: Record<string, number> = {};
    const lines: string[] = [];
    Object.entries(cases).forEach(([name, recorded], i) => {
      const sid = String(i + 1).repeat(32);
      const pid = decoy();
      pids[name] = pid;
      const id = identify(pid);
      assert.ok(id, `the identity of pid ${pid}`);
      lines.push(
        JSON.stringify({ t: "open", sid, client: name, hb: 60_000, at: 0 }),
        JSON.stringify({
          t: "task",
          sid,
          n: i + 1,
          task: { id: "t", kind: "executable", command: "sleep 30" },
        }),
        JSON.stringify({ t: "ev", sid, e: { seq: 1, id: "t", state: "running", time: 0 } }),
        JSON.stringify({ t: "pid", sid, id: "t", ...recorded(id) }),
      );
    });
    writeFileSync(`${dir}/journal.jsonl`, lines.join("\n") + "\n");
    await using _agent = await startAgent({ dir, cores: 1 });
    await waitFor(() => !alive(pids.ours!), "the agent's own process group to be killed");
    for (const name of ["reused", "otherHost", "otherBoot", "pidOnly"]) {
      assert.ok(alive(pids[name]!), `${name}: a process that is not the agent's lives on`);
    }
  });

  it("kills what a command left in its group when its pid was journaled after it had exited", async () => {
    const dir = mkdtempSync(`${tmpdir()}/asyncflow-identity-`);
    // A shell that leaves a sleeper in its group and exits: its pid is then no process's.
    const shell = spawn("sh", ["-c", "sleep 30 > /dev/null & echo $!"], {
      detached: true,
      stdio: ["ignore", "pipe", "ignore"],
    });
    decoys.push(shell);
    let out = "";
    shell.stdout!.on("data", (chunk: Uint8Array) => (out += new TextDecoder().decode(chunk)));
    await new Promise((resolve) => shell.once("close", resolve));
    const sleeper = Number(out.trim());
    const sleeperStart = startTime(sleeper);
    assert.ok(alive(sleeper, sleeperStart), "the shell left its sleeper behind");
    const recorded = identifyStarted(shell.pid!);
    assert.equal(recorded.start, undefined, "the shell had exited: no start time");
    assert.ok(recorded.boot && recorded.host, JSON.stringify(recorded));
    const sid = "9".repeat(32);
    const lines = [
      JSON.stringify({ t: "open", sid, client: "gone", hb: 60_000, at: 0 }),
      JSON.stringify({
        t: "task",
        sid,
        n: 1,
        task: { id: "t", kind: "executable", command: "sleep 30 &" },
      }),
      JSON.stringify({ t: "ev", sid, e: { seq: 1, id: "t", state: "running", time: 0 } }),
      JSON.stringify({ t: "pid", sid, id: "t", ...recorded }),
    ];
    writeFileSync(`${dir}/journal.jsonl`, lines.join("\n") + "\n");
    await using _agent = await startAgent({ dir, cores: 1 });
    await waitFor(
      () => !alive(sleeper, sleeperStart),
      "the sleeper left in the group to be killed",
    );
  });
});
