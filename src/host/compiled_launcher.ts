/**
 * The compiled command launcher (`launcher_c.ts`): built once per machine with its C compiler,
 * into the user's cache (`$XDG_CACHE_HOME/asyncflow`, else `~/.cache/asyncflow`), under a name
 * that holds a hash of its source and the platform, so a new version or another architecture
 * sharing a home directory (a cluster's login and compute nodes) builds its own.
 *
 * A binary is only run from a folder and file this user owns and nobody else may write, and only
 * once it answered `--version` as this source says: otherwise, or where there is no compiler, the
 * runtime uses the Perl launcher, which needs nothing built.
 *
 * @module
 */
import type nodeProcess from "node:process";
import { LAUNCHER_C, LAUNCHER_C_VERSION } from "./launcher_c.ts";

/** What building the launcher needs of the runtime's `node:` modules. */
export interface BuildHost {
  process: typeof nodeProcess;
  fs: typeof import("node:fs");
  childProcess: typeof import("node:child_process");
  crypto: typeof import("node:crypto");
}

/** The compiled launcher's path, or why there is none here. */
export type CompiledLauncher = { path: string } | { why: string };

/** How long the compiler may take: it usually needs well under a second. */
const COMPILE_TIMEOUT_MS = 60_000;

/**
 * The compiled launcher, built now if this machine has none yet.
 *
 * @param b The runtime's `node:` modules.
 * @returns Its path, or why it cannot be used here.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import process from "node:process";
 * import * as childProcess from "node:child_process";
 * import * as crypto from "node:crypto";
 * import * as fs from "node:fs";
 * import { compiledLauncher } from "./compiled_launcher.ts";
 * const built = compiledLauncher({ process, fs, childProcess, crypto });
 * if ("path" in built) {
 *   const version = childProcess.spawnSync(built.path, ["--version"], { encoding: "utf8" });
 *   assert.match(version.stdout, /^asyncflow-launcher /);
 * } else {
 *   assert.match(built.why, /./); // no C compiler here, say
 * }
 * ```
 */
export function compiledLauncher(b: BuildHost): CompiledLauncher {
  try {
    return findOrBuild(b);
  } catch (error) {
    // A cache that changed under us, say (another process's build renamed in): Perl this time.
    return { why: `cannot use the launcher's cache: ${(error as Error).message}` };
  }
}

function findOrBuild(b: BuildHost): CompiledLauncher {
  const dir = cacheDir(b);
  if (dir === undefined) return { why: "neither XDG_CACHE_HOME nor HOME is set" };
  const hash = b.crypto.createHash("sha256").update(LAUNCHER_C).digest("hex").slice(0, 16);
  const path = `${dir}/asyncflow-launcher-${hash}-${b.process.platform}-${b.process.arch}`;
  try {
    b.fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    return { why: `cannot make ${dir}: ${(error as Error).message}` };
  }
  const unsafe = untrusted(b, dir, true);
  if (unsafe) return { why: unsafe };
  if (b.fs.existsSync(path)) {
    const unsafeFile = untrusted(b, path, false);
    if (unsafeFile) return { why: unsafeFile };
    // One that does not answer (a build cut short, a changed system library) is built again.
    if (answers(b, path) === undefined) return { path };
  }
  return build(b, dir, path);
}

function cacheDir(b: BuildHost): string | undefined {
  const { XDG_CACHE_HOME, HOME } = b.process.env;
  if (XDG_CACHE_HOME?.startsWith("/")) return `${XDG_CACHE_HOME}/asyncflow`;
  return HOME?.startsWith("/") ? `${HOME}/.cache/asyncflow` : undefined;
}

/** Why a file or folder could be changed by somebody else, or undefined. */
function untrusted(b: BuildHost, path: string, directory: boolean): string | undefined {
  const s = b.fs.lstatSync(path);
  if (directory ? !s.isDirectory() : !s.isFile()) {
    return `${path} is not a ${directory ? "folder" : "file"}`;
  }
  const uid = b.process.getuid?.();
  if (uid !== undefined && s.uid !== uid) return `${path} is owned by uid ${s.uid}, not ${uid}`;
  if ((s.mode & 0o022) !== 0) return `${path} is writable by others`;
  return undefined;
}

/** Why the program at `path` is not this launcher, or undefined when it answers as it should. */
function answers(b: BuildHost, path: string): string | undefined {
  const run = b.childProcess.spawnSync(path, ["--version"], { encoding: "utf8", timeout: 10_000 });
  if (run.error) return `${path} cannot run: ${run.error.message}`;
  return run.stdout === `${LAUNCHER_C_VERSION}\n` ? undefined : `${path} is another version`;
}

function build(b: BuildHost, dir: string, path: string): CompiledLauncher {
  const work = b.fs.mkdtempSync(`${dir}/.build-`);
  try {
    b.fs.writeFileSync(`${work}/launcher.c`, LAUNCHER_C);
    const cc = b.childProcess.spawnSync(
      "cc",
      ["-O2", "-o", `${work}/launcher`, `${work}/launcher.c`],
      { encoding: "utf8", timeout: COMPILE_TIMEOUT_MS },
    );
    if (cc.error) return { why: `cannot run cc: ${cc.error.message}` };
    if (cc.status !== 0) {
      return { why: `cc failed (${cc.status ?? cc.signal}): ${cc.stderr.trim().slice(-2_000)}` };
    }
    const why = answers(b, `${work}/launcher`);
    if (why) return { why };
    b.fs.chmodSync(`${work}/launcher`, 0o700);
    // Whole or not at all: another process building at the same moment renames the same bytes.
    b.fs.renameSync(`${work}/launcher`, path);
    return { path };
  } catch (error) {
    return { why: `cannot build the launcher in ${dir}: ${(error as Error).message}` };
  } finally {
    b.fs.rmSync(work, { recursive: true, force: true });
  }
}
