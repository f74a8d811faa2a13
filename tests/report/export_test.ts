import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { type TaskEvent, WorkflowEngine } from "../../mod.ts";
import { buildGraph, localName, type TaskGraph, toDot, toMermaid } from "../../graph/mod.ts";
import { recordCampaignTrace } from "./fixtures/campaign_trace.ts";

/** Compares with a golden file; `UPDATE_GOLDEN=1` rewrites it instead. */
function assertGolden(actual: string, name: string): void {
  const path = fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
  if (process.env.UPDATE_GOLDEN === "1") writeFileSync(path, actual);
  assert.equal(actual, readFileSync(path, "utf8"));
}

const NASTY = [
  'say "hi"',
  "x[1] (y) {z}",
  "end",
  "o",
  "a --> b; click",
  "#quot; &amp; <br/> `md`",
  "back\\slash \\N \\n",
  "two\nlines",
  "pipe | semi ; hash #",
];

/** Records a dry run whose task and block names are `NASTY`, chained, inside a block. */
async function nastyTrace(): Promise<TaskEvent[]> {
  const events: TaskEvent[] = [];
  const flow = await WorkflowEngine.create({ dryRun: true, uid: "nasty" });
  flow.subscribe((e) => events.push(e));
  try {
    const outer = flow.block(async () => {
      let last: unknown = 0;
      for (const name of NASTY) last = flow.functionTask((x: unknown) => x, { name })(last);
      return await last;
    }, { name: 'block "end" [1]' });
    await outer();
  } finally {
    await flow.shutdown();
  }
  return events;
}

/** Undoes Mermaid's `#code;` entities. */
function mermaidText(label: string): string {
  return label.replace(/#(\d+);/g, (_, code) => String.fromCharCode(Number(code)));
}

/** Undoes DOT string escapes. */
function dotText(quoted: string): string {
  return quoted.slice(1, -1).replace(/\\(["\\n])/g, (_, c) => (c === "n" ? "\n" : c));
}

describe("toMermaid() and toDot()", () => {
  let graph: TaskGraph;
  let nasty: TaskGraph;
  before(async () => {
    graph = buildGraph(await recordCampaignTrace());
    nasty = buildGraph(await nastyTrace());
  });

  it("match the golden Mermaid diagram of the campaign workflow", () => {
    assertGolden(toMermaid(graph), "campaign.mmd");
  });

  it("match the golden DOT graph of the campaign workflow", () => {
    assertGolden(toDot(graph), "campaign.dot");
  });

  it("leave colours out when colorByState is false", () => {
    assert.doesNotMatch(toMermaid(graph, { colorByState: false }), /classDef|class /);
    assert.doesNotMatch(toDot(graph, { colorByState: false }), /fillcolor="#(?!ffffff)/);
    assert.match(toMermaid(graph, { direction: "LR" }), /^graph LR\n/);
  });

  it("nest a subgraph per block, with every member inside its block", () => {
    const lines = toMermaid(graph).split("\n");
    const stack: string[] = [];
    const placed = new Map<string, string | undefined>();
    for (const line of lines) {
      const open = line.match(/^\s*subgraph (\S+) /);
      if (open) {
        placed.set(open[1]!, stack.at(-1));
        stack.push(open[1]!);
      } else if (line.trim() === "end") stack.pop();
      else {
        const node = line.match(/^\s*(\w+)(\[|\(\[)"/);
        if (node) placed.set(node[1]!, stack.at(-1));
      }
    }
    assert.equal(stack.length, 0);
    for (const n of graph.nodes) {
      const id = n.uid.replace(".", "_");
      assert.equal(placed.get(id), n.parent?.replace(".", "_"), n.uid);
    }
  });

  it("keep Mermaid labels intact whatever the names hold", () => {
    const text = toMermaid(nasty, { legend: false });
    const labels = [...text.matchAll(/^\s*(?:subgraph )?(\w+) ?\[?\(?\[?"([^"]*)"\]/gm)];
    assert.equal(labels.length, nasty.nodes.length);
    const names = labels.map((m) => mermaidText(m[2]!));
    assert.deepEqual(
      names.sort(),
      nasty.nodes.map((n) => localName(nasty, n).replace(/\n/g, " ")).sort(),
    );
    for (const m of labels) {
      assert.doesNotMatch(
        m[2]!.replace(/#\d+;/g, ""),
        /["\[\](){}<>|;`#]/,
        `unescaped character in ${m[2]}`,
      );
      assert.match(m[1]!, /^[A-Za-z_][A-Za-z0-9_]*$/);
      assert.notEqual(m[1]!.toLowerCase(), "end");
    }
    assert.equal(
      text.split("\n").filter((l) => l.trim() === "end").length,
      1,
      "one block, one 'end'",
    );
  });

  it("keep DOT strings intact whatever the names hold", () => {
    const text = toDot(nasty);
    const labels = [...text.matchAll(/label=("(?:[^"\\]|\\.)*")/g)].map((m) => dotText(m[1]!));
    for (const n of nasty.nodes) {
      const label = localName(nasty, n);
      assert.ok(labels.includes(label), `label of ${JSON.stringify(label)}`);
    }
    // Every quote inside a string is escaped: stripping strings leaves no quote behind.
    assert.doesNotMatch(text.replace(/"(?:[^"\\]|\\.)*"/g, "S"), /["\\]/);
  });

  it("give distinct ids to uids that sanitize alike", () => {
    const base = {
      type: "created" as const,
      time: 0,
      name: "n",
      kind: "function" as const,
      workflowId: "w",
    };
    const g = buildGraph([
      { ...base, uid: "a.b", deps: [] },
      { ...base, uid: "a_b", deps: ["a.b"] },
      { ...base, uid: "end", deps: [] },
    ]);
    const text = toMermaid(g, { colorByState: false });
    assert.match(text, /a_b\["n"\]/);
    assert.match(text, /a_b_2\["n"\]/);
    assert.match(text, /a_b --> a_b_2/);
    assert.match(text, /n_end\["n"\]/);
  });
});
