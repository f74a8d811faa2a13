/**
 * Connections are bounded: a client that connects and sends nothing, or leaves a connection
 * idle, is cut off; a flood of idle connections past the open-file limit does not stop the
 * agent from serving once it is over.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { startAgent } from "../../agent/mod.ts";
import { agentProcess, call, waitFor } from "./helpers.ts";
import { runtime } from "../../src/host/runtime.ts";

const isDeno = runtime === "deno";
const isBun = runtime === "bun";

/** Opens a TCP connection to `url`'s port and resolves once it is connected. */
function open(url: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(new URL(url).port), "127.0.0.1");
    socket.once("connect", () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Resolves when the server closes `socket`; rejects after `ms` (a generous bound). */
function closedBy(socket: Socket, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still open after ${ms} ms`)), ms);
    socket.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
    socket.on("error", () => {});
    socket.resume();
  });
}

describe("agent connections", () => {
  it("cuts off a connection that sends no request, and one left idle after a request", {
    skip: isDeno && "Deno.serve has no header or idle timeout to set",
  }, async () => {
    await using agent = await startAgent({
      cores: 1,
      connections: { headerTimeoutMs: 500, idleTimeoutMs: 1_000 },
    });
    const silent = await open(agent.url);
    await closedBy(silent, 15_000);
    // Bun has one timer for both (its idle timeout, checked every few seconds): once is enough.
    if (isBun) return;
    const idle = await open(agent.url);
    const closed = closedBy(idle, 15_000);
    idle.write(
      `GET /v1/health HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${agent.token}\r\n\r\n`,
    );
    await closed;
  });

  it("serves again after a flood of idle connections past its open-file limit", async () => {
    const agent = await agentProcess(
      mkdtempSync(`${tmpdir()}/asyncflow-flood-`),
      ["--cores", "1"],
      ["prlimit", "--nofile=200"],
    );
    try {
      const sockets: Socket[] = [];
      let refused = 0;
      for (let i = 0; i < 300; i++) {
        // Refused outright is one way of bearing the flood (Deno, while it serves again).
        const s = await open(agent.url).catch(() => undefined);
        if (s === undefined) {
          refused++;
          continue;
        }
        s.on("error", () => {});
        s.once("close", () => refused++);
        sockets.push(s);
      }
      // The flood has hit the limit: the agent holds (nearly) every descriptor it may, or
      // refuses connections beyond its cap.
      const fds = () => readdirSync(`/proc/${agent.pid}/fd`).length;
      await waitFor(() => fds() >= 190 || refused >= 100, "the flood to reach the file limit");
      for (const s of sockets) s.destroy();
      let health = { status: 0 };
      for (let i = 0; i < 200 && health.status !== 200; i++) {
        health = await call(agent, "GET", "/v1/health").catch(() => ({ status: 0 }));
        if (health.status !== 200) await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(health.status, 200);
    } finally {
      await agent.stop();
    }
  });
});
