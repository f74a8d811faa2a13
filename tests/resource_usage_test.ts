import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { buildGraph, readTrace } from "../graph/mod.ts";
import { templateStats } from "../report/template_stats.ts";
import { type ExecutionRecord, LocalBackend, WorkflowEngine } from "../mod.ts";
import { renderReport } from "../report/mod.ts";
import { runCli, tempDir } from "./cli/_helpers.ts";
import { burnArgv, burnShell } from "./fixtures/burn.ts";

/** As long as the burn, doing nothing. */
const IDLE = "sleep 1.1";

/** Runs each command on a LocalBackend and returns the record of each. */
async function recordsOf(
  options: { measureUsage?: boolean; launcher?: boolean },
  ...commands: (string | string[])[]
): Promise<ExecutionRecord[]> {
  await using flow = await WorkflowEngine.create({ backends: [new LocalBackend(options)] });
  const records = new Map<string, ExecutionRecord>();
  flow.subscribe((e) => e.record && records.set(e.uid, e.record));
  const uids: string[] = [];
  const run = flow.executableTask((command: string | string[]) => command);
  await Promise.all(commands.map((c) => {
    const f = run(c);
    uids.push(f.uid);
    return f;
  }));
  await flow.shutdown();
  return uids.map((uid) => records.get(uid)!);
}

const linux = existsSync("/proc/self/stat");

describe("resource use per command (LocalBackend, Linux /proc)", { skip: !linux }, () => {
  it("measures the CPU time and peak memory of a command that burns and allocates", async () => {
    const [burn, idle] = await recordsOf({ measureUsage: true }, burnArgv(), IDLE);
    const wall = burn!.endedAt! - burn!.startedAt!;
    assert.ok(burn!.cpuMs! >= 100, `cpuMs ${burn!.cpuMs} of a 1.1 s busy loop`);
    assert.ok(burn!.cpuMs! <= 4 * wall + 100, `cpuMs ${burn!.cpuMs} within its ${wall} ms`);
    assert.ok(burn!.maxRssKiB! >= 128 * 1024, `maxRssKiB ${burn!.maxRssKiB} holding 128 MiB`);
    // Time asleep is not CPU time, and `sleep` holds little memory.
    assert.ok(idle!.cpuMs! < 100, `cpuMs ${idle!.cpuMs} of ${IDLE}`);
    assert.ok(idle!.maxRssKiB! < 32 * 1024, `maxRssKiB ${idle!.maxRssKiB} of sleep`);
  });

  it("counts the CPU and memory of the processes a shell started", async () => {
    const shell = `${burnShell()}; true`;
    const [r] = await recordsOf({ measureUsage: true }, shell);
    assert.ok(r!.cpuMs! >= 100, `cpuMs ${r!.cpuMs} of a shell whose child burned 1.1 s`);
    assert.ok(r!.maxRssKiB! >= 128 * 1024, `maxRssKiB ${r!.maxRssKiB}: the child held 128 MiB`);
  });

  it("a recorded run measures every command: the trace, 'asyncflow show' and the report tell", async () => {
    const tmp = tempDir();
    try {
      const root = join(tmp.dir, "runs");
      const quoted = burnShell();
      const wf = tmp.write("burn.yaml", `tasks:\n  burn: { command: ${JSON.stringify(quoted)} }\n`);
      const run = JSON.parse(
        (await runCli(["run", wf, "--runs-dir", root, "-q", "--json"])).stdout,
      );
      assert.equal(run.status, "ok");
      const events = readTrace(readFileSync(join(run.run.dir, "trace.jsonl"), "utf8"));
      const record = events.find((e) => e.type === "done")!.record!;
      assert.ok(record.cpuMs! >= 100 && record.maxRssKiB! >= 128 * 1024, JSON.stringify(record));

      const table = (await runCli(["show", "last", "--runs-dir", root])).stdout;
      assert.match(table, /^STATE +UID +RAN +CPU +MEMORY +ATTEMPTS/m);
      assert.match(table, /^DONE +task\.000001 +\S+ +\d[\d.]*m?s +[\d.]+ [MG]iB /m);
      const task = (await runCli(["show", "last", "burn", "--runs-dir", root])).stdout;
      assert.match(task, /^ {2}used +\d[\d.]*m?s CPU, [\d.]+ [MG]iB peak memory$/m);

      const html = renderReport(events);
      assert.match(html, />CPU<\/button>/);
      assert.match(html, new RegExp(`<td data-v="${record.maxRssKiB}">[\\d.]+ [MG]iB</td>`));
      // The per-template table sums them: one call of 'burn' here.
      assert.match(html, />CPU total<\/button>/);
      assert.match(html, />peak memory<\/button>/);
      const [burn] = templateStats(buildGraph(events));
      assert.deepEqual(
        [burn!.template, burn!.totalCpuMs, burn!.meanCpuMs, burn!.maxRssKiB],
        ["burn", record.cpuMs, record.cpuMs, record.maxRssKiB],
      );
    } finally {
      tmp.cleanup();
    }
  });

  it(
    "through the launcher, a command's CPU time is the kernel's at its end, not its last sample's",
    {
      skip: existsSync("/usr/bin/perl") ? false : "needs /usr/bin/perl",
    },
    async () => {
      // 0.7 s of CPU however loaded the machine: the samples come 10, 20, 40 … 640 ms apart, so the
      // last one before its end would have seen at most ≈0.63 s of it.
      const burn = ["perl", "-e", "1 while do { my @t = times; $t[0] + $t[1] < 0.7 }"];
      const [r] = await recordsOf({ measureUsage: true, launcher: true }, burn);
      assert.ok(r!.cpuMs! >= 700 && r!.cpuMs! < 1_000, `cpuMs ${r!.cpuMs} of a 0.7 s CPU burn`);
    },
  );

  it("measures nothing unless asked for or recorded", async () => {
    const [r] = await recordsOf({}, "sleep 0.1");
    assert.equal(r!.exitCode, 0);
    assert.equal(r!.cpuMs, undefined);
    assert.equal(r!.maxRssKiB, undefined);
  });

  it("refuses a measureUsage that is not a boolean", () => {
    assert.throws(
      () => new LocalBackend({ measureUsage: "yes" as unknown as boolean }),
      /measureUsage/,
    );
  });
});
