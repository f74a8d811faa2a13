/** Helpers of the agent tests: raw HTTP calls, SSE reading, processes. */
import { execFileSync, spawn } from "node:child_process";
import { Buffer } from "node:buffer";
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeSync,
} from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import process from "node:process";
import { readSse } from "../../backends/remote/sse.ts";
import type { WireEvent } from "../../protocol/v1.ts";
import { waitFor } from "../backend_conformance.ts";
import { runtime } from "../../src/host/runtime.ts";

export { waitFor };

/** A parsed answer, read loosely by the tests. */
// deno-lint-ignore no-explicit-any
export type Loose = any;

/** The agent's task module used by the tests. */
export const fixtures: URL = new URL("../fixtures/task_functions.ts", import.meta.url);

/** A raw API call: status and parsed body (or text). */
export async function call(
  base: { url: string; token: string },
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Loose }> {
  const init: RequestInit = {
    method,
    headers: { authorization: `Bearer ${base.token}`, ...headers },
  };
  if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
  const res = await fetch(`${base.url}${path}`, init);
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch { /* keep the text */ }
  return { status: res.status, body: parsed };
}

/** Opens a session and returns its id. */
export async function openSession(
  base: { url: string; token: string },
  heartbeatTimeoutMs?: number,
): Promise<string> {
  const r = await call(
    base,
    "POST",
    "/v1/sessions",
    heartbeatTimeoutMs ? { heartbeatTimeoutMs } : {},
  );
  if (r.status !== 201) throw new Error(`cannot open a session: ${JSON.stringify(r.body)}`);
  return r.body.session;
}

/**
 * Reads the SSE stream from `after` until `until(events)` holds, then cuts the
 * connection. Returns the events received.
 */
export async function readEvents(
  base: { url: string; token: string },
  sid: string,
  after: number,
  until: (events: WireEvent[]) => boolean,
): Promise<WireEvent[]> {
  const stop = new AbortController();
  const res = await fetch(`${base.url}/v1/sessions/${sid}/events`, {
    headers: { authorization: `Bearer ${base.token}`, "last-event-id": String(after) },
    signal: stop.signal,
  });
  const events: WireEvent[] = [];
  try {
    for await (const m of readSse(res.body!)) {
      if (m.event === "events") events.push(...JSON.parse(m.data) as WireEvent[]);
      if (until(events) || m.event === "end") break;
    }
  } finally {
    stop.abort();
  }
  return events;
}

/**
 * Whether a process lives (and is not a zombie). With `start` (its start time, from
 * {@linkcode startTime}), whether that same process lives: on a busy machine a pid is soon
 * given to another process (pid_max is often 32768).
 */
export function alive(pid: number, start?: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields[0] === "Z" || fields[0] === "X") return false;
    return start === undefined || Number(fields[19]) === start;
  } catch {
    return false;
  }
}

/** The start time of a live process (clock ticks after boot), to tell it from a later one. */
export function startTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
  } catch {
    return undefined;
  }
}

/** Reads a pid written by a test command, once the file exists. */
export async function pidIn(path: string): Promise<number> {
  await waitFor(() => existsSync(path) && readFileSync(path, "utf8").endsWith("\n"), path);
  return Number(readFileSync(path, "utf8"));
}

/** Starts `agent/main.ts` as a separate process on the runtime running the tests. */
export function spawnAgent(
  args: string[],
  prefix: string[] = [],
): { pid: number; kill: () => void; exited: Promise<void> } {
  const main = new URL("../../agent/main.ts", import.meta.url).pathname;
  const argv = [process.execPath, ...(runtime === "deno" ? ["run", "-A", main] : [main]), ...args];
  // A prefix such as `prlimit --nofile=200` execs the runtime in place: the pid stays the agent's.
  const [file, ...rest] = [...prefix, ...argv];
  const child = spawn(file!, rest, { stdio: ["ignore", "ignore", "inherit"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return { pid: child.pid!, kill: () => child.kill("SIGKILL"), exited };
}

/**
 * POSTs a body with `node:http`, reading the answer even when the server
 * answers early and closes the connection before taking the whole body
 * (which `fetch` reports as a network error).
 */
export function postRaw(
  base: { url: string; token: string },
  path: string,
  body: string,
): Promise<{ status: number; body: Loose }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base.url}${path}`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${base.token}`,
        "content-type": "application/json",
        "content-length": Buffer.byteLength(body),
      },
    }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
      res.on("error", reject);
    });
    req.on("error", () => {}); // EPIPE/ECONNRESET after an early answer
    req.end(body);
  });
}

/** An agent running as a separate process, with its endpoint once it serves. */
export interface AgentProcess {
  readonly pid: number;
  readonly dir: string;
  readonly url: string;
  readonly token: string;
  /** Settles when the process has exited. */
  readonly exited: Promise<void>;
  /** SIGKILLs it and waits until it is gone. */
  stop(): Promise<void>;
}

/**
 * Starts `agent/main.ts --dir dir …args` as a process (after `prefix`, e.g. `prlimit …`) and
 * waits until it has written a fresh endpoint file (one that names this process).
 */
export async function agentProcess(
  dir: string,
  args: string[] = [],
  prefix: string[] = [],
): Promise<AgentProcess> {
  const endpoint = `${dir}/endpoint.json`;
  const child = spawnAgent(["--dir", dir, ...args], prefix);
  let gone = false;
  void child.exited.then(() => (gone = true));
  const fresh = () => {
    try {
      return JSON.parse(readFileSync(endpoint, "utf8")).pid === child.pid;
    } catch {
      return false;
    }
  };
  await waitFor(() => gone || fresh(), "the agent's endpoint file");
  if (gone) throw new Error(`the agent in ${dir} exited before serving`);
  const { url, token } = JSON.parse(readFileSync(endpoint, "utf8"));
  return {
    pid: child.pid,
    dir,
    url,
    token,
    exited: child.exited,
    stop: async () => {
      child.kill();
      await child.exited;
    },
  };
}

/**
 * Mounts a tmpfs of `kib` KiB on a new directory (the tests that fill a disk for real need root),
 * and returns it with a function that unmounts it. `undefined` when not root: the caller skips,
 * saying why.
 */
export function smallDisk(kib: number): { dir: string; unmount: () => void } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const dir = mkdtempSync(`${tmpdir()}/asyncflow-disk-`);
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${kib}k,mode=700`, "tmpfs", dir]);
  return { dir, unmount: () => execFileSync("umount", ["-l", dir]) };
}

/** Fills the file system holding `dir` (a file `dir/filler`); `free()` gives the space back. */
export function fillDisk(dir: string): { free: () => void } {
  const fd = openSync(`${dir}/filler`, "a");
  const block = Buffer.alloc(4096, 120);
  try {
    for (;;) writeSync(fd, block);
  } catch (error) {
    if ((error as { code?: string }).code !== "ENOSPC") throw error;
  }
  // The last partial block too: not one byte is left.
  try {
    for (;;) writeSync(fd, block, 0, 1);
  } catch { /* full */ }
  closeSync(fd);
  return { free: () => rmSync(`${dir}/filler`, { force: true }) };
}
