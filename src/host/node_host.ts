import type { ChildProcess } from "node:child_process";
import type { WriteStream } from "node:fs";
import type nodeProcess from "node:process";
import type { Readable } from "node:stream";
import type {
  ContextStorage,
  Host,
  ProcessOutcome,
  ProcessRequest,
  ProcessUsage,
  RunningProcess,
} from "./host.ts";
import { asyncContextStorage } from "./async_context.ts";
import { concatBytes } from "./concat_bytes.ts";
import { LaunchedChild, type LaunchedStream, Launcher, LauncherGoneError } from "./launcher.ts";
import { type CompiledLauncher, compiledLauncher } from "./compiled_launcher.ts";
import { LAUNCHER_SCRIPT } from "./launcher_script.ts";
import { UsageSampler } from "./proc_usage.ts";

/** The util-linux tool that starts a program in a new session (and process group). */
const SETSID = "/usr/bin/setsid";
/** Where the launcher's interpreter is looked for (launcher.ts). */
const PERLS = ["/usr/bin/perl", "/bin/perl"];
/** Grace period between SIGTERM and SIGKILL when a process is killed. */
const KILL_GRACE_MS = 2_000;
/** How much of stderr is kept for error messages when it goes to a file. */
const STDERR_TAIL_BYTES = 4_096;

/**
 * The `node:` built-ins this host uses, which Deno, Bun and Node all provide.
 * They are looked up when the host is made, through
 * `process.getBuiltinModule`, not imported: a static import would stop the
 * core from loading (or bundling) where there is no `node:` module at all.
 */
function builtins() {
  const process = (globalThis as unknown as { process: typeof nodeProcess }).process;
  return {
    process,
    childProcess: process.getBuiltinModule("node:child_process"),
    fs: process.getBuiltinModule("node:fs"),
    fsPromises: process.getBuiltinModule("node:fs/promises"),
    path: process.getBuiltinModule("node:path"),
    os: process.getBuiltinModule("node:os"),
    crypto: process.getBuiltinModule("node:crypto"),
    asyncHooks: process.getBuiltinModule("node:async_hooks"),
  };
}

type Builtins = ReturnType<typeof builtins>;

/**
 * The host built on the `node:` modules, which Deno, Bun and Node all provide.
 *
 * @param runtime Which of the three this is.
 * @returns The host.
 */
export function nodeHost(runtime: "deno" | "bun" | "node"): Host {
  const b = builtins();
  // Deno's `detached` forks the whole runtime (2-3x slower than a plain spawn); `setsid` execs in
  // place, so the child keeps its pid and still leads its own process group.
  const setsid = runtime === "deno" && b.fs.existsSync(SETSID) ? SETSID : undefined;
  const { AsyncLocalStorage } = b.asyncHooks;
  let name: string | undefined; // asked once: every command's record names it
  // Made at the first launch of each choice; null where there is none.
  const launchers = new Map<LauncherChoice, Launcher | null>();
  // Found or built once: a build that failed is not tried again at every command.
  let built: CompiledLauncher | undefined;
  const compiled = () => (built ??= compiledLauncher(b));
  const direct = (file: string, args: string[], request: ProcessRequest) =>
    b.childProcess.spawn(setsid ?? file, setsid ? [file, ...args] : args, {
      cwd: request.cwd,
      env: request.env ? { ...b.process.env, ...request.env } : undefined,
      detached: setsid === undefined,
      stdio: ["ignore", "pipe", "pipe"],
    });
  return {
    runtime,
    spawn: (request) => spawnProcess(b, request, direct, setsid !== undefined),
    launch: (request) => {
      const choice = launcherChoice(b);
      let launcher = launchers.get(choice);
      if (launcher === undefined) {
        launchers.set(choice, launcher = makeLauncher(b, runtime, choice, compiled));
      }
      if (launcher === null) return spawnProcess(b, request, direct, setsid !== undefined);
      const through = launcher;
      return spawnProcess(b, request, (file, args) =>
        through.start({
          file,
          args,
          cwd: request.cwd === undefined ? undefined : b.path.resolve(request.cwd),
          // Always the whole of it: this process's environment may have changed since the
          // launcher started.
          env: { ...b.process.env, ...request.env },
        }), false);
    },
    mkdir: async (path) => {
      await b.fsPromises.mkdir(path, { recursive: true });
    },
    hasFiles: true,
    fileStat: async (path) => {
      try {
        const s = await b.fsPromises.stat(path);
        return { size: s.size, mtimeMs: s.mtimeMs, directory: s.isDirectory() };
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === "ENOENT" || code === "ENOTDIR") return undefined;
        throw error;
      }
    },
    sha256File: async (path) => {
      // Streamed: a 10 GB output is hashed in 64 KiB pieces, never held whole.
      const hash = b.crypto.createHash("sha256");
      for await (const chunk of b.fs.createReadStream(path)) hash.update(chunk as Uint8Array);
      return hash.digest("hex");
    },
    cpuCount: () => b.os.availableParallelism(),
    cwd: () => b.process.cwd(),
    hostname: () => (name ??= b.os.hostname()),
    // A runtime that ships the standard's AsyncContext uses it; until then, AsyncLocalStorage.
    contextStorage: <T>(): ContextStorage<T> =>
      asyncContextStorage<T>() ?? (() => {
        const als = new AsyncLocalStorage<T>();
        return {
          tracksAwaits: true,
          run: (store, fn) => als.run(store, fn),
          get: () => als.getStore(),
        };
      })(),
  };
}

/**
 * Which launcher commands go through: `ASYNCFLOW_LAUNCHER`, read at each command so that a test
 * (or a user chasing a problem) can change it: `auto` (the default) is the compiled one where it
 * can be built, else Perl; `compiled` and `perl` insist on one.
 */
type LauncherChoice = "auto" | "compiled" | "perl";

function launcherChoice(b: Builtins): LauncherChoice {
  const choice = b.process.env.ASYNCFLOW_LAUNCHER;
  if (choice === undefined || choice === "") return "auto";
  if (choice === "auto" || choice === "compiled" || choice === "perl") return choice;
  throw new Error(
    `ASYNCFLOW_LAUNCHER must be 'auto', 'compiled' or 'perl', got '${choice}': ` +
      `unset it to start commands through the fastest launcher this machine has`,
  );
}

/**
 * The launcher, where the runtime may run it (on Deno only with every run and env permission
 * granted, since it would run any program and reads the environment): the compiled one where it
 * can be built (with read and write too on Deno, for its cache), else Perl where there is Perl.
 *
 * @throws {Error} When `compiled` was asked for and cannot be built, saying why.
 */
function makeLauncher(
  b: Builtins,
  runtime: "deno" | "bun" | "node",
  choice: LauncherChoice,
  compiled: () => CompiledLauncher,
): Launcher | null {
  const granted = (name: string) =>
    runtime !== "deno" || (globalThis as unknown as {
        Deno: { permissions: { querySync(p: { name: string }): { state: string } } };
      }).Deno.permissions.querySync({ name }).state === "granted";
  if (!granted("run") || !granted("env")) return null;
  let program: { file: string; args: string[] } | undefined;
  if (choice !== "perl") {
    const built = granted("read") && granted("write")
      ? compiled()
      : { why: "Deno was not granted read and write, which its cache needs" };
    if ("path" in built) program = { file: built.path, args: [] };
    else if (choice === "compiled") {
      throw new Error(`ASYNCFLOW_LAUNCHER=compiled, but it cannot be used here: ${built.why}`);
    }
  }
  if (program === undefined) {
    const perl = PERLS.find((path) => b.fs.existsSync(path));
    if (perl === undefined) return null;
    program = { file: perl, args: ["-e", LAUNCHER_SCRIPT] };
  }
  const signals = Object.fromEntries(
    Object.entries(b.os.constants.signals).map(([name, n]) => [n, name]),
  );
  const errnos = Object.fromEntries(
    Object.entries(b.os.constants.errno).map(([name, n]) => [n, name]),
  );
  return new Launcher({
    spawn: (file, args, options) => b.childProcess.spawn(file, args, options),
    signalName: (n) => signals[n] ?? `SIG${n}`,
    errnoName: (n) => errnos[n] ?? `errno ${n}`,
    killGroup: (pid) => signalGroup(b, pid, "SIGKILL"),
  }, program);
}

/** What the host uses of a started child: a `ChildProcess`, or one the launcher started. */
type Child = ChildProcess | LaunchedChild;
type Start = (file: string, args: string[], request: ProcessRequest) => Child;

function spawnProcess(
  b: Builtins,
  request: ProcessRequest,
  start: Start,
  throughSetsid: boolean,
): RunningProcess {
  const { command } = request;
  const [file, args] = typeof command === "string"
    ? ["/bin/sh", ["-c", command]]
    : [command[0]!, command.slice(1)];
  // The child leads a new process group, so kill() reaches what a shell started.
  const child = start(file, args, request);
  const limit = request.maxBufferBytes ?? 64 * 1024 * 1024;
  let overflow = false;
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  // A launched command's pid comes a moment after it was asked for: a kill meanwhile waits for it.
  let killAsked = false;
  const kill = () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (child.pid === undefined) {
      killAsked = true;
      return;
    }
    signalGroup(b, child.pid, "SIGTERM");
    killTimer ??= setTimeout(() => signalGroup(b, child.pid!, "SIGKILL"), KILL_GRACE_MS);
  };
  const onOverflow = () => {
    overflow = true;
    kill();
  };
  const out = collect(b, child.stdout!, outputFile(request.stdoutPath, request.copyStdoutPath), {
    tail: Infinity,
    limit,
    onOverflow,
  });
  const err = collect(b, child.stderr!, outputFile(request.stderrPath, request.copyStderrPath), {
    tail: STDERR_TAIL_BYTES,
    limit,
    onOverflow,
  });
  // Linux only; the last read that can succeed is when its stdout closes, as it exits.
  let sampler: UsageSampler | undefined;
  const started = () => {
    if (child.pid !== undefined) request.onStart?.(child.pid);
    if (killAsked) kill();
    if (!request.measureUsage || child.pid === undefined || !hasProc(b)) return;
    sampler = new UsageSampler(child.pid, (path) => b.fs.readFileSync(path, "utf8"));
    child.stdout!.once("end", () => sampler?.sample(true));
    child.once("exit", () => sampler?.stop());
  };
  if (child.pid !== undefined) started();
  else if (child instanceof LaunchedChild) child.once("spawn", started);
  const exited = new Promise<ProcessOutcome>((resolve, reject) => {
    child.once("error", (error) => {
      clearTimeout(killTimer);
      sampler?.stop();
      if (error instanceof LauncherGoneError) return reject(error); // it did start
      // A missing cwd fails the spawn with ENOENT, which names the program (or setsid) instead.
      const why = request.cwd !== undefined && !isDirectory(b, request.cwd)
        ? `the working directory '${request.cwd}' does not exist (or is not a directory)`
        : error.message;
      reject(new Error(`Cannot start '${file}': ${why}`, { cause: error }));
    });
    child.once("close", async (code, signal) => {
      clearTimeout(killTimer);
      const [o, e] = await Promise.all([out, err]);
      const stdout = o.text;
      const stderr = e.text;
      // Through setsid, a program that cannot start is setsid's exit 126/127, not a spawn error.
      if (
        throughSetsid && (code === 126 || code === 127) &&
        stderr.startsWith("setsid: failed to execute")
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
      resolve({
        exitCode: code,
        signal,
        stdout,
        stderr,
        stdoutBytes: o.bytes,
        stderrBytes: e.bytes,
        ...(request.measureUsage ? usageOf(child, sampler) : {}),
      });
    });
  });
  return {
    get pid() {
      return child.pid;
    },
    exited,
    kill,
  };
}

/**
 * What a command used: the samples of its memory and, for its CPU time, the kernel's figure at
 * its reap where the launcher reports it (exact, where a last sample may come too late).
 */
function usageOf(child: Child, sampler: UsageSampler | undefined): { usage?: ProcessUsage } {
  const usage = sampler?.usage;
  const cpuMs = child instanceof LaunchedChild ? child.cpuMs : undefined;
  if (cpuMs === undefined) return usage ? { usage } : {};
  return { usage: { ...usage, cpuMs } };
}

let procReadable: boolean | undefined;
/** Whether this machine has Linux's `/proc` (asked once). */
function hasProc(b: Builtins): boolean {
  return procReadable ??= b.fs.existsSync("/proc/self/stat");
}

function isDirectory(b: Builtins, path: string): boolean {
  try {
    return b.fs.statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function signalGroup(b: Builtins, pid: number, signal: "SIGTERM" | "SIGKILL"): void {
  try {
    b.process.kill(-pid, signal);
  } catch {
    try {
      b.process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

/** Where a stream goes besides memory: only to a file (`to`), or to memory and a copy. */
interface OutputFile {
  path: string;
  /** Kept in memory as well (a copy for the record), rather than only its tail. */
  copy: boolean;
}

function outputFile(to: string | undefined, copy: string | undefined): OutputFile | undefined {
  if (to !== undefined) return { path: to, copy: false };
  return copy === undefined ? undefined : { path: copy, copy: true };
}

/**
 * Gathers a stream into a string, or into a file keeping the last `tail` bytes in memory, or both
 * (a copy), and counts its bytes.
 */
function collect(
  b: Builtins,
  stream: Readable | LaunchedStream,
  output: OutputFile | undefined,
  bounds: { tail: number; limit: number; onOverflow: () => void },
): Promise<{ text: string; bytes: number }> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  let bytes = 0;
  let file: WriteStream | undefined = output && b.fs.createWriteStream(output.path);
  const tailOnly = file !== undefined && !output!.copy;
  return new Promise((resolve, reject) => {
    file?.on("error", (error) => {
      // The only place of the output (captureOutput): the task cannot have its result.
      if (tailOnly) reject(error);
      // A copy for the record (a full disk, say): the command and its value go on without it.
      file = undefined;
    });
    stream.on("data", (chunk: Uint8Array) => {
      bytes += chunk.length;
      file?.write(chunk);
      if (tailOnly) {
        chunks.push(chunk);
        size += chunk.length;
        while (chunks.length > 1 && size - chunks[0]!.length >= bounds.tail) {
          size -= chunks.shift()!.length;
        }
        return;
      }
      size += chunk.length;
      if (size > bounds.limit) bounds.onOverflow();
      else chunks.push(chunk);
    });
    stream.on("error", reject);
    stream.on("end", () => {
      const text = new TextDecoder().decode(concatBytes(chunks));
      const kept = tailOnly && text.length > bounds.tail ? text.slice(-bounds.tail) : text;
      if (!file) return resolve({ text: kept, bytes });
      file.end(() => resolve({ text: kept, bytes }));
    });
  });
}
