/**
 * Connections are bounded on every runtime: a client that connects and sends nothing, sends its
 * headers a byte at a time, or leaves a connection idle, is cut off; one over the cap gets a short
 * 503; a flood of idle connections past the open-file limit does not stop the agent from serving.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { startAgent } from "../../agent/mod.ts";
import { agentProcess, call, waitFor } from "./helpers.ts";
import { runtime } from "../../src/host/runtime.ts";

/** Opens a TCP connection to `url`'s port and resolves once it is connected. */
function open(url: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(new URL(url).port), "127.0.0.1");
    socket.once("connect", () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Resolves with what the server sent once it closes `socket`; rejects after `ms` (a generous bound). */
function closedBy(socket: Socket, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = "";
    const timer = setTimeout(() => reject(new Error(`still open after ${ms} ms`)), ms);
    socket.on("data", (chunk) => got += chunk);
    socket.once("close", () => {
      clearTimeout(timer);
      resolve(got);
    });
    socket.on("error", () => {});
  });
}

/** What a timed-out connection reads before it is closed: nothing, or Node's 408. */
const TIMED_OUT = /^(HTTP\/1\.1 408 Request Timeout\r\n[^]*)?$/;

describe("agent connections", () => {
  it("cuts off a connection that sends no request, and one left idle after a request", async () => {
    await using agent = await startAgent({
      cores: 1,
      connections: { headerTimeoutMs: 500, idleTimeoutMs: 1_000 },
    });
    const silent = await open(agent.url);
    assert.match(await closedBy(silent, 15_000), TIMED_OUT);
    const idle = await open(agent.url);
    const closed = closedBy(idle, 15_000);
    idle.write(
      `GET /v1/health HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${agent.token}\r\n\r\n`,
    );
    assert.match(await closed, /^HTTP\/1\.1 200 /);
  });

  it("cuts off a client that sends its headers a byte at a time past the header timeout", async () => {
    await using agent = await startAgent({
      cores: 1,
      connections: { headerTimeoutMs: 500, idleTimeoutMs: 60_000 },
    });
    const slow = await open(agent.url);
    const closed = closedBy(slow, 8_000);
    const headers = `GET /v1/health HTTP/1.1\r\nhost: x\r\nx-pad: ${"a".repeat(400)}`;
    let sent = 0;
    // A byte every 50 ms keeps any idle timer from firing; only the header timeout can end it.
    const trickle = setInterval(
      () => slow.writable && slow.write(headers[sent++ % headers.length]!),
      50,
    );
    try {
      assert.match(await closed, TIMED_OUT);
    } finally {
      clearInterval(trickle);
    }
    assert.ok(sent < headers.length, `the headers were sent whole (${sent} bytes)`);
  });

  it("answers a connection over the cap with a 503 and closes it, and serves the others", async () => {
    await using agent = await startAgent({
      cores: 1,
      connections: { maxConnections: 3, headerTimeoutMs: 60_000 },
    });
    const sockets = await Promise.all([1, 2, 3, 4].map(() => open(agent.url)));
    // Which one is refused is the runtime's choice (Bun announces them together, in any order).
    const answers = sockets.map((s) => closedBy(s, 15_000).then((text) => ({ s, text })));
    const refused = await Promise.race(answers);
    assert.match(refused.text, /^HTTP\/1\.1 503 /);
    assert.match(refused.text, /"code":"too_many_connections"/);
    assert.match(refused.text, /serves 3 connections at once/);
    const held = sockets.filter((s) => s !== refused.s);
    assert.ok(held.every((s) => !s.destroyed), "the three under the cap stay open");
    held[0]!.destroy();
    let health = { status: 0 };
    for (let i = 0; i < 100 && health.status !== 200; i++) {
      health = await call(agent, "GET", "/v1/health").catch(() => ({ status: 0 }));
    }
    assert.equal(health.status, 200);
    assert.ok(!held[1]!.destroyed && !held[2]!.destroyed, "the others were served on");
    for (const s of held) s.destroy();
  });

  it(
    "over TLS: cuts off a connection that never starts the handshake, and closes one over the cap",
    {
      skip: runtime === "bun" &&
        "Bun's node:tls ignores handshakeTimeout and ends a silent TLS connection itself, after ~12 s",
    },
    async () => {
      await using agent = await startAgent({
        cores: 1,
        tls: "self-signed",
        connections: { headerTimeoutMs: 500, maxConnections: 2 },
      });
      const silent = await open(agent.url);
      assert.equal(await closedBy(silent, 8_000), "");
      const sockets = await Promise.all([1, 2, 3].map(() => open(agent.url)));
      const first = await Promise.race(sockets.map((s) => closedBy(s, 8_000).then(() => s)));
      // A plain 503 would be noise to a TLS client: the one over the cap is closed at once, while
      // the others are still within their handshake time.
      assert.equal(sockets.filter((s) => s.destroyed).length, 1);
      assert.ok(sockets.includes(first));
      for (const s of sockets) s.destroy();
    },
  );

  it(
    "leaves the process's Request and Response alone: an agent on Deno.serve or Bun.serve still answers",
    {
      skip: runtime === "node" && "Node has no server of its own",
    },
    async () => {
      await using bounded = await startAgent({ cores: 1, connections: { server: "node" } });
      await using own = await startAgent({ cores: 1, connections: { server: "runtime" } });
      assert.equal((await call(bounded, "GET", "/v1/health")).status, 200);
      assert.equal((await call(own, "GET", "/v1/health")).status, 200);
      assert.equal(globalThis.Response.name, "Response");
      assert.ok(new Response("x") instanceof Response);
    },
  );

  it("asyncflow agent --runtime-http serves on Deno.serve or Bun.serve; by default on node:http", {
    skip: runtime === "node" && "Node has no server of its own",
  }, async () => {
    /** The answer's head to a keep-alive request: node:http's names its idle timeout. */
    const head = async (agent: { url: string; token: string }) => {
      const s = await open(agent.url);
      const text = new Promise<string>((resolve) => s.once("data", (c) => resolve(String(c))));
      s.write(`GET /v1/health HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${agent.token}\r\n\r\n`);
      const got = await text;
      s.destroy();
      return got.split("\r\n\r\n")[0]!.toLowerCase();
    };
    for (const [flags, nodeHttp] of [[[], true], [["--runtime-http"], false]] as const) {
      const agent = await agentProcess(
        mkdtempSync(`${tmpdir()}/asyncflow-http-`),
        ["--cores", "1", ...flags],
      );
      try {
        const got = await head(agent);
        assert.match(got, /^http\/1\.1 200 /);
        assert.equal(/\nkeep-alive: timeout=75/.test(got), nodeHttp, got);
      } finally {
        await agent.stop();
      }
    }
  });

  it("serves again after a flood of idle connections past its open-file limit", async () => {
    const agent = await agentProcess(
      mkdtempSync(`${tmpdir()}/asyncflow-flood-`),
      ["--cores", "1"],
      ["prlimit", "--nofile=200"],
    );
    try {
      let answered503 = 0;
      const sockets = await flood(
        agent.url,
        300,
        (text) => text.startsWith("HTTP/1.1 503 ") && answered503++,
      );
      // Beyond its cap (the file limit less a reserve) the agent answers 503 and closes.
      await waitFor(() => answered503 >= 100, "503 answers to the connections over the cap");
      for (const s of sockets) s.destroy();
      assert.equal(await healthOnceFree(agent), 200);
    } finally {
      await agent.stop();
    }
  });

  it("accepts again after accepts failed for lack of descriptors (a file limit below the cap)", async () => {
    const agent = await agentProcess(mkdtempSync(`${tmpdir()}/asyncflow-emfile-`), [
      "--cores",
      "1",
    ]);
    try {
      // The cap came from the limit at start (thousands): with 200 descriptors now, they run out
      // before the cap, and accepts fail with EMFILE (after which Deno's node:http listener
      // stopped accepting for good).
      execFileSync("prlimit", [`--pid=${agent.pid}`, "--nofile=200"]);
      const sockets = await flood(agent.url, 300);
      const descriptors = () => readdirSync(`/proc/${agent.pid}/fd`).length;
      await waitFor(() => descriptors() >= 195, "the agent to use up its descriptors");
      for (const s of sockets) s.destroy();
      assert.equal(await healthOnceFree(agent), 200);
    } finally {
      await agent.stop();
    }
  });
});

/** Opens `n` idle connections (those refused outright are left out); `onData` sees what each reads. */
async function flood(url: string, n: number, onData?: (text: string) => void): Promise<Socket[]> {
  const sockets: Socket[] = [];
  for (let i = 0; i < n; i++) {
    // Refused outright is one way of bearing the flood too.
    const s = await open(url).catch(() => undefined);
    if (s === undefined) continue;
    s.on("error", () => {});
    if (onData) s.on("data", (chunk) => onData(String(chunk)));
    sockets.push(s);
  }
  return sockets;
}

/**
 * `GET /v1/health`'s status once the agent answers again; 0 if it has not within 15 s (a
 * generous bound: a deaf agent fails the test instead of hanging it).
 */
async function healthOnceFree(agent: { url: string; token: string }): Promise<number> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const status = await fetch(`${agent.url}/v1/health`, {
      headers: { authorization: `Bearer ${agent.token}` },
      signal: AbortSignal.timeout(2_000),
    }).then(async (res) => (await res.body?.cancel(), res.status), () => 0);
    if (status === 200) return status;
    await new Promise((r) => setTimeout(r, 50));
  }
  return 0;
}
