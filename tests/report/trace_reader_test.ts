import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { TaskEvent } from "../../mod.ts";
import { readTrace } from "../../graph/mod.ts";
import { recordCampaignTrace, toJsonl } from "./fixtures/campaign_trace.ts";

describe("readTrace()", () => {
  let events: TaskEvent[];
  let text: string;
  before(async () => {
    events = await recordCampaignTrace();
    text = toJsonl(events);
  });

  it("reads back every event of a trace written by the engine", () => {
    assert.deepEqual(readTrace(text), events);
  });

  it("drops a truncated final line", () => {
    const lines = text.trimEnd().split("\n");
    const cut = `${lines.slice(0, 10).join("\n")}\n${lines[10]!.slice(0, 25)}`;
    assert.deepEqual(readTrace(cut), events.slice(0, 10));
  });

  it("ignores blank lines, including trailing ones", () => {
    const lines = text.trimEnd().split("\n");
    assert.equal(readTrace(`${lines[0]}\n\n${lines[1]}\n\n\n`).length, 2);
  });

  it("names the line of a malformed line in the middle", () => {
    const lines = text.trimEnd().split("\n");
    lines[4] = lines[4]!.slice(0, 20);
    assert.throws(() => readTrace(lines.join("\n")), (e: Error) => {
      assert.ok(e instanceof SyntaxError);
      assert.match(e.message, /trace line 5 is not valid JSON/);
      return true;
    });
  });

  it("rejects a line that is JSON but not an event, naming the line and the field", () => {
    const lines = text.trimEnd().split("\n");
    lines.splice(2, 0, JSON.stringify({ type: "exploded", uid: "x", time: 1 }));
    assert.throws(
      () => readTrace(lines.join("\n")),
      /trace line 3 is not a task event: 'type' must be one of/,
    );
    assert.throws(
      () => readTrace(`[1,2]\n${lines[0]}`),
      /trace line 1 is not a task event: expected an object/,
    );
  });

  it("reads an empty trace as no events", () => {
    assert.deepEqual(readTrace(""), []);
    assert.deepEqual(readTrace("\n  \n"), []);
  });
});
