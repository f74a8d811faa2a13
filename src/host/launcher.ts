/**
 * A long-lived launcher process that starts commands for this runtime: one small process starts
 * each command and passes its output and exit status back over one pair of pipes. It is the C
 * program of `launcher_c.ts` where this machine could build it (`compiled_launcher.ts`), else the
 * Perl program of `launcher_script.ts`; both speak the protocol that file describes. Node forks its
 * whole runtime for every `child_process.spawn`, blocking its event loop ≈1.8 ms each; a launcher
 * starts a command for a fraction of that (bench/core.ts measures it, beside a `posix_spawn` floor).
 *
 * @module
 */
import type { ChildProcess } from "node:child_process";
import { concatBytes } from "./concat_bytes.ts";

/**
 * A command ended with its launcher, which died while it ran (killed, say): the command was killed
 * too, since its output had nowhere to go. The next command starts a new launcher.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LauncherGoneError } from "./launcher.ts";
 * const e = new LauncherGoneError("/usr/bin/perl", "was killed by SIGKILL", "/bin/sh");
 * assert.match(e.message, /launcher \(\/usr\/bin\/perl\) was killed by SIGKILL while '\/bin\/sh' ran/);
 * ```
 */
export class LauncherGoneError extends Error {
  /**
   * @param launcher The launcher's program.
   * @param why How it ended ("was killed by SIGKILL").
   * @param file The command's program.
   */
  constructor(launcher: string, why: string, file: string) {
    super(
      `the command launcher (${launcher}) ${why} while '${file}' ran, and the command was killed ` +
        `with it; the next command starts a new launcher: run this one again (a retry does)`,
    );
    this.name = "LauncherGoneError";
  }
}

/** A minimal event emitter: the core does not import `node:events`. */
class Emitter {
  readonly #listeners = new Map<string, ((...args: never[]) => void)[]>();
  on(event: string, listener: (...args: never[]) => void): this {
    const list = this.#listeners.get(event);
    if (list) list.push(listener);
    else this.#listeners.set(event, [listener]);
    return this;
  }
  once(event: string, listener: (...args: never[]) => void): this {
    const once = (...args: never[]) => {
      this.off(event, once);
      listener(...args);
    };
    return this.on(event, once);
  }
  off(event: string, listener: (...args: never[]) => void): this {
    const list = this.#listeners.get(event);
    const at = list?.indexOf(listener) ?? -1;
    if (at >= 0) list!.splice(at, 1);
    return this;
  }
  emit(event: string, ...args: unknown[]): void {
    const list = this.#listeners.get(event);
    if (!list) return;
    for (const listener of [...list]) (listener as (...args: unknown[]) => void)(...args);
  }
}

/** One of a launched command's output streams: `data` chunks, then `end`. */
export class LaunchedStream extends Emitter {}

/**
 * A command the launcher started, with the part of a `ChildProcess` the host uses: `pid` (known
 * at its `spawn` event), `exitCode`/`signalCode` (at `exit`), `stdout`/`stderr`, and `close`
 * (exit and both streams ended) or `error` (it could not start).
 */
export class LaunchedChild extends Emitter {
  /** Its pid, once the launcher forked it. */
  pid: number | undefined;
  /** Its exit code, once reaped (null when a signal ended it). */
  exitCode: number | null = null;
  /** The name of the signal that ended it, once reaped. */
  signalCode: string | null = null;
  /** Its CPU time, user and system, with the children it waited for, in ms, once reaped. */
  cpuMs: number | undefined;
  /** What it writes on stdout. */
  readonly stdout: LaunchedStream = new LaunchedStream();
  /** What it writes on stderr. */
  readonly stderr: LaunchedStream = new LaunchedStream();
  /** The program, for error messages. */
  readonly file: string;
  constructor(file: string) {
    super();
    this.file = file;
  }
}

/** What the launcher needs of the runtime. */
export interface LauncherHost {
  spawn: (file: string, args: string[], options: object) => ChildProcess;
  /** Signal names by number (`os.constants.signals`, turned around). */
  signalName: (signal: number) => string;
  /** Errno names by number (`os.constants.errno`, turned around). */
  errnoName: (errno: number) => string;
  /** Ends a process group, or the process when it has none. */
  killGroup: (pid: number) => void;
}

/** How to start one command through the launcher. */
export interface LaunchRequest {
  file: string;
  args: readonly string[];
  /** An absolute directory, or undefined for the launcher's own (this process's at its start). */
  cwd: string | undefined;
  /** The whole environment, or undefined for the launcher's own. */
  env: Record<string, string | undefined> | undefined;
}

/** The launcher's program: the compiled one, or Perl with its script. */
export interface LauncherProgram {
  file: string;
  args: readonly string[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The launcher: started at the first command, again after it died; it keeps the event loop alive
 * only while a command runs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { spawn } from "node:child_process";
 * import { Launcher } from "./launcher.ts";
 * import { LAUNCHER_SCRIPT } from "./launcher_script.ts";
 * const launcher = new Launcher(
 *   { spawn, signalName: String, errnoName: String, killGroup: () => {} },
 *   { file: "/usr/bin/perl", args: ["-e", LAUNCHER_SCRIPT] },
 * );
 * const child = launcher.start({ file: "echo", args: ["hi"], cwd: undefined, env: undefined });
 * const out: Uint8Array[] = [];
 * child.stdout.on("data", (chunk: Uint8Array) => out.push(chunk));
 * const code = await new Promise((resolve) => child.once("close", resolve));
 * assert.equal(code, 0);
 * assert.equal(new TextDecoder().decode(out[0]), "hi\n");
 * ```
 */
export class Launcher {
  readonly #host: LauncherHost;
  readonly #program: LauncherProgram;
  #process: ChildProcess | undefined;
  readonly #children = new Map<string, LaunchedChild>();
  #nextId = 0;
  #pending: Uint8Array | undefined;

  /**
   * @param host What the launcher needs of the runtime.
   * @param program The launcher's program and its arguments.
   */
  constructor(host: LauncherHost, program: LauncherProgram) {
    this.#host = host;
    this.#program = program;
  }

  /**
   * Starts a command; it reports through the returned child.
   *
   * @param request The program, its arguments, directory and environment.
   * @returns The child, whose `pid` comes at its `spawn` event.
   * @throws {TypeError} When an argument or variable holds a NUL byte.
   */
  start(request: LaunchRequest): LaunchedChild {
    const proc = this.#process ?? this.#open();
    const id = String(this.#nextId++);
    const child = new LaunchedChild(request.file);
    const fields = [id, request.cwd ?? "", String(request.args.length + 1), request.file];
    fields.push(...request.args);
    if (request.env === undefined) fields.push("-1");
    else {
      const at = fields.push("0") - 1;
      for (const name in request.env) {
        const value = request.env[name];
        if (value !== undefined) fields.push(`${name}=${value}`);
      }
      fields[at] = String(fields.length - at - 1);
    }
    for (const field of fields) {
      // A C string ends at NUL, so no program could receive one: refused, as spawn refuses it.
      if (field.includes("\0")) {
        throw new TypeError(
          `Cannot start '${request.file}': an argument or environment variable holds a NUL byte`,
        );
      }
    }
    const payload = encoder.encode(fields.join("\0"));
    if (this.#children.size === 0) this.#ref(proc, true);
    this.#children.set(id, child);
    proc.stdin!.write(concatBytes([encoder.encode(`${payload.length}\n`), payload]));
    return child;
  }

  #open(): ChildProcess {
    const proc = this.#host.spawn(this.#program.file, [...this.#program.args], {
      stdio: ["pipe", "pipe", "ignore"],
    });
    this.#process = proc;
    this.#pending = undefined;
    proc.stdout!.on("data", (chunk: Uint8Array) => this.#read(chunk));
    // A write after the launcher died fails here; its exit fails what was in flight.
    proc.stdin!.on("error", () => {});
    const gone = (why: string) => {
      if (this.#process !== proc) return;
      this.#process = undefined;
      const children = [...this.#children.values()];
      this.#children.clear();
      for (const child of children) {
        if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
          this.#host.killGroup(child.pid); // its output has nowhere to go any more
        }
        child.emit("error", new LauncherGoneError(this.#program.file, why, child.file));
      }
    };
    proc.once("error", (error: Error) => gone(`failed: ${error.message}`));
    // At `close`, not `exit`: a pid it reported just before it died is read first, so that
    // command is killed too rather than left running.
    proc.once(
      "close",
      (code: number | null, signal: string | null) =>
        gone(signal ? `was killed by ${signal}` : `exited with code ${code}`),
    );
    this.#ref(proc, false);
    return proc;
  }

  #ref(proc: ChildProcess, on: boolean): void {
    const handles = [proc, proc.stdin, proc.stdout] as unknown as {
      ref?(): void;
      unref?(): void;
    }[];
    for (const h of handles) {
      if (on) h?.ref?.();
      else h?.unref?.();
    }
  }

  /** Parses the launcher's reports: `<type> <id> <bytes>\n<data>`. */
  #read(chunk: Uint8Array): void {
    let buf = this.#pending ? concatBytes([this.#pending, chunk]) : chunk;
    let at = 0;
    for (;;) {
      const nl = buf.indexOf(10, at);
      if (nl < 0) break;
      const header = decoder.decode(buf.subarray(at, nl));
      const space1 = header.indexOf(" ");
      const space2 = header.indexOf(" ", space1 + 1);
      const size = Number(header.slice(space2 + 1));
      const end = nl + 1 + size;
      if (buf.length < end) break;
      this.#report(header[0]!, header.slice(space1 + 1, space2), buf.subarray(nl + 1, end));
      at = end;
    }
    if (at === buf.length) this.#pending = undefined;
    else {
      buf = buf.subarray(at);
      this.#pending = buf.slice(); // not a view that keeps the whole chunk alive
    }
  }

  #report(type: string, id: string, data: Uint8Array): void {
    const child = this.#children.get(id);
    if (!child) return;
    switch (type) {
      case "1":
        child.stdout.emit("data", data);
        return;
      case "2":
        child.stderr.emit("data", data);
        return;
      case "P":
        child.pid = Number(decoder.decode(data));
        child.emit("spawn");
        return;
      case "E":
        (data[0] === 49 ? child.stdout : child.stderr).emit("end");
        return;
      case "W": {
        const [statusText, cpuText] = decoder.decode(data).split(" ");
        const status = Number(statusText);
        if (cpuText !== undefined) child.cpuMs = Number(cpuText);
        const signal = status & 0x7f;
        if (signal !== 0) child.signalCode = this.#host.signalName(signal);
        else child.exitCode = (status >> 8) & 0xff;
        child.emit("exit", child.exitCode, child.signalCode);
        return;
      }
      case "X": {
        this.#children.delete(id);
        if (this.#children.size === 0 && this.#process) this.#ref(this.#process, false);
        if (data.length === 0) {
          child.emit("close", child.exitCode, child.signalCode);
          return;
        }
        const text = decoder.decode(data);
        const code = this.#host.errnoName(Number(text.slice(1)));
        const error = Object.assign(
          new Error(`spawn ${child.file} ${code}${text[0] === "c" ? " (chdir)" : ""}`),
          { code, syscall: `spawn ${child.file}`, path: child.file },
        );
        child.emit("error", error);
      }
    }
  }
}
