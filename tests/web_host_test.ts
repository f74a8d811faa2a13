import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { detectRuntime } from "../src/host/mod.ts";
import { webHost } from "../src/host/web_host.ts";
import { AsyncLocalStorage } from "node:async_hooks";
import { LocalBackend, WorkflowEngine } from "../mod.ts";

describe("the web host", () => {
  it("fails an executable task at once, naming the runtime and saying to use a RemoteBackend", async () => {
    const host = webHost("browser");
    assert.throws(() => host.spawn({ command: ["./simulate", "1"] }), (e: Error) => {
      assert.match(e.message, /asyncflow on browser cannot run the command '\.\/simulate'/);
      assert.match(e.message, /RemoteBackend \(@asyncflow\/asyncflow\/remote\)/);
      return true;
    });
    await assert.rejects(host.mkdir("/tmp/x"), /cannot create the directory \/tmp\/x/);
    assert.ok(host.cpuCount() >= 1);
  });

  it("tells runtimes apart from their globals", () => {
    assert.equal(detectRuntime({ Deno: {} }), "deno");
    assert.equal(detectRuntime({ Bun: {}, process: { versions: { node: "22" } } }), "bun");
    assert.equal(detectRuntime({ navigator: { userAgent: "Cloudflare-Workers" } }), "workerd");
    assert.equal(
      detectRuntime({
        navigator: { userAgent: "Cloudflare-Workers" },
        process: { versions: { node: "22" } },
      }),
      "workerd",
    );
    assert.equal(detectRuntime({ process: { versions: { node: "24" } } }), "node");
    assert.equal(
      detectRuntime({ document: {}, navigator: { userAgent: "Mozilla/5.0" } }),
      "browser",
    );
    assert.equal(detectRuntime({ WorkerGlobalScope: function () {} }), "browser");
    assert.equal(detectRuntime({}), "web");
  });

  it("leaves function tasks and blocks working where the host is not the process host", async () => {
    // LocalBackend runs functions in-process on any host; only commands need processes.
    await using flow = await WorkflowEngine.create({ backend: new LocalBackend() });
    const double = flow.functionTask((n: number) => 2 * n);
    assert.equal(await flow.block(async () => await double(await double(1)))(), 4);
  });

  it("uses the standard AsyncContext where a runtime has one, and none where there is none", async () => {
    const g = globalThis as { AsyncContext?: unknown };
    const had = g.AsyncContext;
    if (had === undefined) {
      const none = webHost("browser").contextStorage<string>();
      assert.equal(none.tracksAwaits, false);
      assert.equal(
        await none.run("a", async () => {
          await Promise.resolve();
          return none.get();
        }),
        undefined,
        "without async context the value is gone after an await",
      );
    }
    // A stand-in with the standard's shape (Variable with run and get) to see that it is used.
    class Variable<T> {
      readonly #als = new AsyncLocalStorage<T>();
      run<R>(value: T, fn: () => R): R {
        return this.#als.run(value, fn);
      }
      get(): T | undefined {
        return this.#als.getStore();
      }
    }
    g.AsyncContext = { Variable };
    try {
      const storage = webHost("browser").contextStorage<string>();
      assert.equal(storage.tracksAwaits, true);
      assert.equal(
        await storage.run("a", async () => {
          await Promise.resolve();
          return storage.get();
        }),
        "a",
      );
    } finally {
      if (had === undefined) delete g.AsyncContext;
      else g.AsyncContext = had;
    }
  });
});
