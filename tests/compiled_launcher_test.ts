/**
 * The compiled launcher is built once into the user's cache and used from there; a cache another
 * user could write to is refused, a broken build is built again, and a machine where it cannot be
 * built says why (and `ASYNCFLOW_LAUNCHER=compiled` says it on the command that asked).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as childProcess from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import process from "node:process";
import { LocalBackend, WorkflowEngine } from "../mod.ts";
import { compiledLauncher } from "../src/host/compiled_launcher.ts";

const cc = ["/usr/bin/cc", "/bin/cc"].some((path) => fs.existsSync(path));

/** The builder's view of the runtime, with `env` in place of this process's environment. */
function withEnv(env: Record<string, string>) {
  const { platform, arch } = process;
  const getuid = process.getuid?.bind(process);
  const view = { env, platform, arch, getuid } as unknown as typeof process;
  return { process: view, fs, childProcess, crypto };
}

describe("the compiled launcher", { skip: cc ? false : "needs a C compiler" }, () => {
  it("is built once into $XDG_CACHE_HOME/asyncflow, then used from there", () => {
    const cache = fs.mkdtempSync(`${tmpdir()}/asyncflow-cache-`);
    const first = compiledLauncher(withEnv({ XDG_CACHE_HOME: cache }));
    assert.ok("path" in first, JSON.stringify(first));
    assert.match(first.path, new RegExp(`^${cache}/asyncflow/asyncflow-launcher-[0-9a-f]{16}-`));
    assert.equal(fs.statSync(first.path).mode & 0o777, 0o700);
    assert.equal(fs.statSync(`${cache}/asyncflow`).mode & 0o777, 0o700);
    const built = fs.statSync(first.path).mtimeMs;
    const again = compiledLauncher(withEnv({ XDG_CACHE_HOME: cache }));
    assert.deepEqual(again, first);
    assert.equal(fs.statSync(first.path).mtimeMs, built, "not built again");
    assert.deepEqual(fs.readdirSync(`${cache}/asyncflow`), [first.path.split("/").pop()]);
  });

  it("builds again over a file that does not answer as the launcher (a build cut short)", () => {
    const cache = fs.mkdtempSync(`${tmpdir()}/asyncflow-cache-`);
    const { path } = compiledLauncher(withEnv({ XDG_CACHE_HOME: cache })) as { path: string };
    fs.writeFileSync(path, "#!/bin/sh\necho something else\n", { mode: 0o700 });
    const rebuilt = compiledLauncher(withEnv({ XDG_CACHE_HOME: cache }));
    assert.deepEqual(rebuilt, { path });
    const version = childProcess.spawnSync(path, ["--version"], { encoding: "utf8" });
    assert.match(version.stdout, /^asyncflow-launcher \d+\n$/);
  });

  it("refuses a cache folder or binary that others may write to, and says which", () => {
    const cache = fs.mkdtempSync(`${tmpdir()}/asyncflow-cache-`);
    const { path } = compiledLauncher(withEnv({ XDG_CACHE_HOME: cache })) as { path: string };
    fs.chmodSync(path, 0o722);
    assert.deepEqual(compiledLauncher(withEnv({ XDG_CACHE_HOME: cache })), {
      why: `${path} is writable by others`,
    });
    fs.chmodSync(`${cache}/asyncflow`, 0o777);
    assert.deepEqual(compiledLauncher(withEnv({ XDG_CACHE_HOME: cache })), {
      why: `${cache}/asyncflow is writable by others`,
    });
  });

  it("says why when there is no cache to build it in", () => {
    const why = compiledLauncher(withEnv({ XDG_CACHE_HOME: "/dev/null/cache" }));
    assert.match((why as { why: string }).why, /^cannot make \/dev\/null\/cache\/asyncflow: /);
    assert.deepEqual(compiledLauncher(withEnv({})), {
      why: "neither XDG_CACHE_HOME nor HOME is set",
    });
  });

  it("an ASYNCFLOW_LAUNCHER that is not a launcher fails the command that asked, naming the choices", async () => {
    const before = process.env.ASYNCFLOW_LAUNCHER;
    process.env.ASYNCFLOW_LAUNCHER = "fast";
    try {
      await using flow = await WorkflowEngine.create({
        backend: new LocalBackend({ launcher: true }),
      });
      await assert.rejects(
        flow.executableTask(() => ["true"])(),
        /ASYNCFLOW_LAUNCHER must be 'auto', 'compiled' or 'perl', got 'fast'/,
      );
    } finally {
      if (before === undefined) delete process.env.ASYNCFLOW_LAUNCHER;
      else process.env.ASYNCFLOW_LAUNCHER = before;
    }
  });
});
