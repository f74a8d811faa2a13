import { AsyncLocalStorage } from "node:async_hooks";
import { spawn } from "node:child_process";
import { createWriteStream, existsSync, statSync, type WriteStream } from "node:fs";
import type { Readable } from "node:stream";
import { mkdir } from "node:fs/promises";
import { availableParallelism } from "node:os";
import process from "node:process";
import type {
  ContextStorage,
  Host,
  ProcessOutcome,
  ProcessRequest,
  RunningProcess,
} from "./host.ts";

/** The util-linux tool that starts a program in a new session (and process group). */
const SETSID = "/usr/bin/setsid";
/** Grace period between SIGTERM and SIGKILL when a process is killed. */
const KILL_GRACE_MS = 2_000;
/** How much of stderr is kept for error messages when it goes to a file. */
const STDERR_TAIL_BYTES = 4_096;

/**
 * The host built on the `node:` modules, which Deno, Bun and Node all provide.
 */
export function nodeHost(runtime: Host["runtime"]): Host {
  // Deno's `detached` forks the whole runtime (2-3x slower than a plain spawn); `setsid` execs in
  // place, so the child keeps its pid and still leads its own process group.
  const setsid = runtime === "deno" && existsSync(SETSID) ? SETSID : undefined;
  return {
    runtime,
    spawn: (request) => spawnProcess(request, setsid),
    mkdir: async (path) => {
      await mkdir(path, { recursive: true });
    },
    cpuCount: () => availableParallelism(),
    cwd: () => process.cwd(),
    contextStorage<T>(): ContextStorage<T> {
      const als = new AsyncLocalStorage<T>();
      return { run: (store, fn) => als.run(store, fn), get: () => als.getStore() };
    },
  };
}

function spawnProcess(request: ProcessRequest, setsid: string | undefined): RunningProcess {
  const { command } = request;
  const [file, args] = typeof command === "string"
    ? ["/bin/sh", ["-c", command]]
    : [command[0]!, command.slice(1)];
  // The child leads a new process group, so kill() reaches what a shell started.
  const child = spawn(setsid ?? file, setsid ? [file, ...args] : args, {
    cwd: request.cwd,
    env: request.env ? { ...process.env, ...request.env } : undefined,
    detached: setsid === undefined,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const limit = request.maxBufferBytes ?? 64 * 1024 * 1024;
  let overflow = false;
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  const kill = () => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    signalGroup(child.pid, "SIGTERM");
    killTimer ??= setTimeout(() => signalGroup(child.pid!, "SIGKILL"), KILL_GRACE_MS);
  };
  const out = collect(child.stdout!, request.stdoutPath, Infinity, limit, () => {
    overflow = true;
    kill();
  });
  const err = collect(child.stderr!, request.stderrPath, STDERR_TAIL_BYTES, limit, () => {
    overflow = true;
    kill();
  });
  const exited = new Promise<ProcessOutcome>((resolve, reject) => {
    child.once("error", (error) => {
      clearTimeout(killTimer);
      // A missing cwd fails the spawn with ENOENT, which names the program (or setsid) instead.
      const why = request.cwd !== undefined && !isDirectory(request.cwd)
        ? `the working directory '${request.cwd}' does not exist (or is not a directory)`
        : error.message;
      reject(new Error(`Cannot start '${file}': ${why}`, { cause: error }));
    });
    child.once("close", async (code, signal) => {
      clearTimeout(killTimer);
      const [stdout, stderr] = await Promise.all([out, err]);
      // Through setsid, a program that cannot start is setsid's exit 126/127, not a spawn error.
      if (
        setsid && (code === 126 || code === 127) && stderr.startsWith("setsid: failed to execute")
      ) {
        const why = stderr.slice(stderr.lastIndexOf(":") + 1).trim();
        reject(new Error(`Cannot start '${file}': ${why}`));
        return;
      }
      if (overflow) {
        reject(
          new Error(
            `Command '${file}' printed more than ${limit} bytes; use captureOutput to write to files`,
          ),
        );
        return;
      }
      resolve({ exitCode: code, signal, stdout, stderr });
    });
  });
  return { pid: child.pid, exited, kill };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function signalGroup(pid: number, signal: "SIGTERM" | "SIGKILL"): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

/**
 * Gathers a stream into a string (or into a file, keeping the last `tail` bytes).
 */
function collect(
  stream: Readable,
  path: string | undefined,
  tail: number,
  limit: number,
  onOverflow: () => void,
): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  let file: WriteStream | undefined;
  if (path) file = createWriteStream(path);
  return new Promise((resolve, reject) => {
    stream.on("data", (chunk: Uint8Array) => {
      if (file) {
        file.write(chunk);
        chunks.push(chunk);
        size += chunk.length;
        while (chunks.length > 1 && size - chunks[0]!.length >= tail) {
          size -= chunks.shift()!.length;
        }
        return;
      }
      size += chunk.length;
      if (size > limit) onOverflow();
      else chunks.push(chunk);
    });
    stream.on("error", reject);
    stream.on("end", () => {
      const text = new TextDecoder().decode(concat(chunks));
      const kept = file && text.length > tail ? text.slice(-tail) : text;
      if (!file) return resolve(kept);
      file.end(() => resolve(kept));
    });
  });
}

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
