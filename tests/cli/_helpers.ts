/**
 * Shared helpers of the CLI tests: temporary files, in-process runs of
 * `main()`, and the command that starts the CLI on the current runtime.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { memoryIo } from "../../cli/io.ts";
import { main } from "../../cli/main.ts";
import { runtime as runtimeOf } from "../../src/host/runtime.ts";

/** The repository's root. */
export const ROOT: string = fileURLToPath(new URL("../../", import.meta.url));
/** The CLI's entry file. */
export const CLI: string = join(ROOT, "cli", "main.ts");
/** The test fixtures. */
export const FIXTURES: string = fileURLToPath(new URL("./fixtures/", import.meta.url));

/** A temporary directory, removed by `cleanup()`. */
export function tempDir(): {
  dir: string;
  write(name: string, text: string): string;
  cleanup(): void;
} {
  const dir = mkdtempSync(join(tmpdir(), "asyncflow-cli-"));
  return {
    dir,
    write(name, text) {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Runs `main(argv)` in this process and returns the exit code and what it printed. */
export async function runCli(
  argv: string[],
  tty = false,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = memoryIo(tty);
  const code = await main(argv, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

/** The runtime running the tests. */
export function runtime(): "deno" | "bun" | "node" {
  return runtimeOf as "deno" | "bun" | "node";
}

/** The argv that starts the CLI's source on the runtime running the tests. */
export function cliArgv(...args: string[]): string[] {
  const exe = process.execPath;
  if (runtime() === "deno") return [exe, "run", "-A", CLI, ...args];
  return [exe, CLI, ...args];
}

/** Runs the CLI's source as a process on this runtime, in `cwd`, to its end. */
export function runCliProcess(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [exe, ...rest] = cliArgv(...args);
  const child = spawn(exe!, rest, {
    cwd: options.cwd ?? process.cwd(),
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
