import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ROOT, runtime, tempDir } from "./_helpers.ts";

/** Building takes seconds and the binary is the same whoever builds it: only Node's run does it. */
function skipReason(): string | false {
  if (runtime() !== "node") {
    return `the standalone binary is built and tested once, under node (this is ${runtime()})`;
  }
  try {
    execFileSync("bun", ["--version"], { stdio: "ignore" });
  } catch {
    return "bun is not installed: cannot build the standalone binary";
  }
  return false;
}

const skip = skipReason();
if (skip) console.log(`binary_test: skipped: ${skip}`);

let tmp: ReturnType<typeof tempDir>;
let binary: string;
before(() => {
  tmp = tempDir();
  if (skip) return;
  binary = join(tmp.dir, "asyncflow");
  execFileSync("bash", [join(ROOT, "scripts/build_binary.sh"), binary], { stdio: "ignore" });
});
after(() => tmp.cleanup());

describe("the standalone binary (bun build --compile)", () => {
  it("runs a YAML workflow", { skip }, () => {
    const out = join(tmp.dir, "out.txt");
    const file = tmp.write(
      "bin.yaml",
      `tasks:\n  a: { command: [echo, hi] }\n  b: { command: "echo \${{ tasks.a.output }}-there > '${out}'" }\n`,
    );
    const summary = JSON.parse(
      execFileSync(binary, ["run", file, "--json", "-q"], { cwd: tmp.dir, encoding: "utf8" }),
    );
    assert.equal(summary.status, "ok");
    assert.equal(summary.tasks.done, 2);
    assert.equal(readFileSync(out, "utf8"), "hi-there\n");
  });

  it("runs function tasks on the worker pool, its worker script embedded", { skip }, () => {
    const file = tmp.write(
      "pool_workflow.ts",
      "export function square(n: number): number {\n  return n * n;\n}\n" +
        "// deno-lint-ignore no-explicit-any\n" +
        "export default async function (flow: any): Promise<void> {\n" +
        "  const sq = flow.functionTask(square);\n" +
        "  console.log('squares=' + (await Promise.all([sq(2), sq(3)])).join(','));\n}\n",
    );
    const out = execFileSync(binary, ["run", file, "--backend", "workers", "-q"], {
      cwd: tmp.dir,
      encoding: "utf8",
      timeout: 30_000,
    });
    assert.match(out, /squares=4,9/);
  });

  it("starts an agent that answers /v1/health with its token", { skip }, async () => {
    const dir = join(tmp.dir, "agent");
    const child = spawn(binary, ["agent", "--dir", dir], { stdio: ["ignore", "pipe", "pipe"] });
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let text = "";
        child.stdout!.on("data", (d) => {
          text += d;
          if (text.includes("\n")) resolve(text.split("\n")[0]!);
        });
        child.on(
          "close",
          (code) => reject(new Error(`the agent exited with ${code} before printing its endpoint`)),
        );
      });
      const { url, tokenFile } = JSON.parse(line);
      assert.ok(existsSync(tokenFile));
      const token = readFileSync(tokenFile, "utf8").trim();
      const denied = await fetch(`${url}/v1/health`);
      await denied.body?.cancel();
      assert.equal(denied.status, 401);
      const health = await fetch(`${url}/v1/health`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(health.status, 200);
      assert.equal((await health.json()).status, "ok");
      child.kill("SIGINT");
      assert.equal(await exited, 0);
    } finally {
      child.kill("SIGKILL");
      await exited;
    }
  });
});
