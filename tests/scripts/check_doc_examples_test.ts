import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { exampleBlocks, problemOf } from "../../scripts/check_doc_examples.ts";

const doc = (body: string) => `/**\n * Adds.\n *\n * @example\n${body}\n */\nexport const x = 1;\n`;

describe("check_doc_examples", () => {
  it("finds the code block of an @example with its line", () => {
    const blocks = exampleBlocks("f.ts", doc(" * ```ts\n * const a = 1;\n * ```"));
    assert.equal(blocks.length, 1);
    assert.deepEqual([blocks[0]!.line, blocks[0]!.info, blocks[0]!.code], [
      5,
      "ts",
      "const a = 1;",
    ]);
  });

  it("refuses console.assert, which cannot fail a doc test", () => {
    const [block] = exampleBlocks("f.ts", doc(" * ```ts\n * console.assert(1 === 2);\n * ```"));
    assert.match(problemOf(block!) ?? "", /console\.assert/);
  });

  it("refuses an example without an assertion", () => {
    const [block] = exampleBlocks("f.ts", doc(" * ```ts\n * const a = 1;\n * ```"));
    assert.match(problemOf(block!) ?? "", /asserts nothing/);
  });

  it("accepts node:assert, and a block fenced as ignore", () => {
    const good = doc(
      ' * ```ts\n * import assert from "node:assert/strict";\n * assert.equal(1, 1);\n * ```',
    );
    assert.equal(problemOf(exampleBlocks("f.ts", good)[0]!), undefined);
    const ignored = doc(" * ```ts ignore\n * await fetch(url);\n * ```");
    assert.equal(problemOf(exampleBlocks("f.ts", ignored)[0]!), undefined);
  });

  it("ignores code blocks that are not code to run", () => {
    const [block] = exampleBlocks("f.ts", doc(" * ```sh\n * asyncflow run x.yaml\n * ```"));
    assert.equal(problemOf(block!), undefined);
  });
});
