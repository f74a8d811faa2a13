import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { RemoteBackend } from "../backends/remote/mod.ts";
import { flagDurationMs } from "../src/duration.ts";
import { EXIT, main, memoryIo } from "../cli/main.ts";
import {
  type Duration,
  parseDuration,
  type TaskEvent,
  TimeoutError,
  WorkflowEngine,
} from "../mod.ts";

// Compile-time: `deno check` fails if a @ts-expect-error line stops being an error.
const typed: Duration[] = [250, "500ms", "30s", "5m", "1h30m", "1h30m15s", "1.5h", "2d"];
// @ts-expect-error a duration string needs a unit
const noUnit: Duration = "30";
// @ts-expect-error units are ms, s, m, h and d
const words: Duration = "5 minutes";

describe("one duration syntax", () => {
  it("reads numbers as milliseconds and strings by their units", () => {
    const ms = typed.map((d) => parseDuration(d, "timeout", "test"));
    assert.deepEqual(ms, [250, 500, 30_000, 300_000, 5_400_000, 5_415_000, 5_400_000, 172_800_000]);
    assert.equal(parseDuration(".5s", "timeout", "test"), 500);
    assert.equal(parseDuration("0s", "backoff", "test", { zero: true }), 0);
  });

  it("refuses what is not a duration, naming the place, the option, the forms and the value", () => {
    const cases: [unknown, RegExp][] = [
      [noUnit, /got the string "30" \(a duration needs a unit: "30s" or "30ms"\)$/],
      [words, /got the string "5 minutes" \(write "5m"\)$/],
      ["90 sec", /\(write "90s"\)$/],
      ["1h 30m", /got the string "1h 30m"$/],
      ["", /got the string ""$/],
      [0, /got number 0$/],
      [-5, /got number -5$/],
      [Infinity, /got number Infinity$/],
      [Number.NaN, /got number NaN$/],
      [null, /got null$/],
      [{ ms: 5 }, /got an object \(Object\)$/],
    ];
    for (const [value, tail] of cases) {
      assert.throws(() => parseDuration(value, "timeout", "functionTask(step)"), (e: unknown) => {
        assert.ok(e instanceof TypeError);
        assert.match(
          e.message,
          /^functionTask\(step\): 'timeout' must be a duration of more than zero: a number of milliseconds or a string such as "500ms", "30s", "5m", "1h30m" \(units ms, s, m, h, d\), got /,
        );
        assert.match(e.message, tail);
        return true;
      }, String(value));
    }
  });

  it("refuses a bare number where only text is accepted (flags, YAML)", () => {
    assert.throws(
      () => parseDuration(30, "--heartbeat", "asyncflow agent", { textOnly: true }),
      /^TypeError: asyncflow agent: '--heartbeat' must be a duration of more than zero: a string such as "500ms".*got number 30 \(write "30ms", or "30s" for seconds\)$/,
    );
  });

  it("takes a string timeout in TS, kept in ms, and times out by it", async () => {
    await using flow = await WorkflowEngine.create();
    const stuck = flow.functionTask(() => new Promise<void>(() => {}), { timeout: "20ms" });
    assert.equal(stuck.options.timeout, 20);
    assert.equal(stuck.with({ timeout: "1m" }).options.timeout, 60_000);
    await assert.rejects(stuck(), (e: unknown) => e instanceof TimeoutError && e.timeoutMs === 20);
  });

  it("takes string back-offs in a retry policy", async () => {
    await using flow = await WorkflowEngine.create();
    const events: TaskEvent[] = [];
    flow.subscribe((e) => events.push(e));
    const t = flow.functionTask((): number => {
      throw new Error("x");
    }, { retries: { max: 2, backoff: "5ms", factor: 3, maxBackoff: "10ms" } });
    await assert.rejects(t(), /x/);
    const delays = events.filter((e) => e.type === "retried").map((e) => e.delayMs);
    assert.deepEqual(delays, [5, 10]); // 5, then 15 capped at 10
  });

  it("refuses a malformed duration option when the task is defined or called", async () => {
    await using flow = await WorkflowEngine.create();
    assert.throws(
      () => flow.functionTask(() => 1, { timeout: "5 minutes" as Duration }),
      /^TypeError: functionTask\(anonymous\): 'timeout' must be .* got the string "5 minutes" \(write "5m"\)$/,
    );
    const f = flow.functionTask(function step() {
      return 1;
    });
    assert.throws(
      () => f.with({ retries: { max: 1, backoff: "soon" as Duration } }),
      /^TypeError: step\.with: 'retries\.backoff' must be a duration of zero or more: .*, got the string "soon"$/,
    );
  });
});

describe("the remote client's timings", () => {
  const at = { url: "http://127.0.0.1:9", token: "t" };

  it("take the one duration syntax, and refuse what is not one, naming the option", () => {
    assert.ok(new RemoteBackend({ ...at, heartbeat: "2s", unreachableAfter: "15m" }));
    assert.throws(
      // @ts-expect-error: not a duration
      () => new RemoteBackend({ ...at, unreachableAfter: "5 minutes" }),
      /RemoteBackend: 'unreachableAfter' must be a duration of more than zero: .*got the string "5 minutes" \(write "5m"\)/,
    );
  });

  it("still read the old …Ms spellings, once with a notice; both spellings are refused", () => {
    const warn = console.warn;
    const said: string[] = [];
    console.warn = (...args: unknown[]) => void said.push(args.join(" "));
    try {
      new RemoteBackend({ ...at, sessionTimeoutMs: 10_000 });
      new RemoteBackend({ ...at, sessionTimeoutMs: 10_000 });
    } finally {
      console.warn = warn;
    }
    assert.deepEqual(said, [
      `asyncflow: RemoteBackend: 'sessionTimeoutMs' is deprecated and will be removed: write 'sessionTimeout' (the same ms, or a string such as "30s")`,
    ]);
    assert.throws(
      () => new RemoteBackend({ ...at, heartbeat: 100, heartbeatMs: 100 }),
      /'heartbeatMs' and 'heartbeat' say the same: give only 'heartbeat'/,
    );
  });
});

describe("durations on the command line", () => {
  it("read a whole number as seconds, as the flags always did, and any duration string", () => {
    assert.equal(flagDurationMs("45"), 45_000);
    assert.equal(flagDurationMs("2m"), 120_000);
    assert.equal(flagDurationMs("1h30m"), 5_400_000);
    assert.equal(flagDurationMs("0", true), 0);
    assert.equal(flagDurationMs("0"), undefined);
    assert.equal(flagDurationMs("5 minutes"), undefined);
    assert.equal(flagDurationMs("-3"), undefined);
  });

  it("asyncflow agent and asyncflow pilot refuse a margin or timeout that is neither", async () => {
    const io = memoryIo();
    assert.equal(await main(["agent", "--drain-margin", "soon"], io), EXIT.usage);
    assert.match(
      io.stderr,
      /'--drain-margin' must be seconds \(45\) or a duration \("2m", "90s"\), got the string "soon"/,
    );
    const pilot = memoryIo();
    assert.equal(
      await main(["pilot", "endpoint", "/nonexistent", "--timeout", "10 minutes"], pilot),
      EXIT.usage,
    );
    assert.match(
      pilot.stderr,
      /'--timeout' must be seconds \(45\) or a duration \("2m", "90s"\), got the string "10 minutes"/,
    );
  });
});
