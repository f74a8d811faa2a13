import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { VERSION } from "../../cli/version.ts";
import { ROOT } from "./_helpers.ts";

describe("asyncflow --version", () => {
  it("is the version of deno.json, the one the package is published and packed with", () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8")) as {
      version: string;
    };
    assert.equal(VERSION, manifest.version);
  });
});
