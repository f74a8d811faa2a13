import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import {
  DependencyFailureError,
  MissingOutputError,
  type TaskEvent,
  WorkflowEngine,
} from "../mod.ts";
import { webHost } from "../src/host/web_host.ts";
import { ManualBackend } from "./fixtures/manual_backend.ts";

/** A fresh directory, removed when the test ends. */
function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(`${tmpdir()}/asyncflow-files-`);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe("declared files", () => {
  it("refuses declarations that are not lists of paths, naming the option and the value", async () => {
    await using flow = await WorkflowEngine.create();
    assert.throws(
      () => flow.functionTask(() => 1, { inputs: "in.txt" as unknown as string[] }),
      /functionTask\(anonymous\): 'inputs' must be a list of paths \(non-empty strings\) or a function returning one, got the string "in.txt"/,
    );
    assert.throws(
      () => flow.executableTask(() => "true", { outputs: ["a", ""] }),
      /'outputs\[1\]' must be a non-empty string \(a path\), got the string ""/,
    );
    assert.throws(
      () => flow.block(async () => {}, { outputs: ["a"] }),
      /option 'outputs' does not apply to block tasks/,
    );
    const bad = flow.functionTask((_n: number) => 1, {
      name: "bad",
      outputs: ((n: number) => n) as unknown as () => string[],
    });
    assert.throws(
      () => bad(3),
      /^TypeError: bad: 'outputs\(\.\.\.\)' must be a list of paths \(non-empty strings\), got number 3$/,
    );
    const throws = flow.functionTask(() => 1, {
      name: "throws",
      inputs: () => {
        throw new Error("no such point");
      },
    });
    assert.throws(() => throws(), /throws: the function given as 'inputs' threw: no such point/);
  });

  it("orders a task after the one that declared its input as an output, without a future", async (t) => {
    const dir = tempDir(t);
    const backend = new ManualBackend();
    await using flow = await WorkflowEngine.create({ backend });
    const events: TaskEvent[] = [];
    flow.subscribe((e) => events.push(e));
    const write = flow.functionTask(() => "w", {
      name: "write",
      outputs: [`${dir}/a.dat`],
    });
    // The same file, spelt differently: matched by its resolved path.
    const read = flow.functionTask((_sub: string) => "r", {
      name: "read",
      inputs: (sub: string) => [`${dir}/${sub}/../a.dat`],
    });
    const w = write();
    const r = read("x");
    await backend.waitForSubmitted(1);
    await Promise.resolve();
    assert.deepEqual(backend.submitted.map((s) => s.name), ["write"], "read waits for write");
    assert.deepEqual(events.find((e) => e.type === "created" && e.uid === r.uid)?.deps, [w.uid]);
    assert.deepEqual(backend.spec("write").files, { inputs: [], outputs: [`${dir}/a.dat`] });
    writeFileSync(`${dir}/a.dat`, "1");
    backend.finish("write", "w");
    await backend.waitForSubmitted(2);
    assert.deepEqual(backend.spec("read").files, { inputs: [`${dir}/x/../a.dat`], outputs: [] });
    backend.finish("read", "r");
    assert.equal(await r, "r");
  });

  it("warns once when a task that writes a file is called after an unfinished task that reads it", async (t) => {
    const dir = tempDir(t);
    const warnings: string[] = [];
    t.mock.method(console, "warn", (...args: unknown[]) => warnings.push(args.join(" ")));
    const backend = new ManualBackend();
    await using flow = await WorkflowEngine.create({ backend });
    const read = flow.functionTask(() => "r", { name: "read", inputs: [`${dir}/a`, `${dir}/b`] });
    const write = flow.functionTask(() => "w", {
      name: "write",
      outputs: [`${dir}/a`, `${dir}/b`],
    });
    const r = read();
    const w = write();
    await backend.waitForSubmitted(2);
    assert.deepEqual(warnings, [
      `asyncflow: 'write' (${w.uid}) declares ${dir}/a as an output, but 'read' (${r.uid}), ` +
      "called before it, reads that file and does not wait for it: call the task that writes a " +
      "file before the tasks that read it. Said once per engine.",
    ]);
    writeFileSync(`${dir}/a`, "");
    writeFileSync(`${dir}/b`, "");
    backend.finish("read", "r");
    backend.finish("write", "w");
    await Promise.all([r, w]);
    // A reader that finished before the writer was called read the file first, on purpose.
    const r2 = read();
    await backend.waitForSubmitted(3);
    backend.finish("read", "r");
    await r2;
    write();
    assert.equal(warnings.length, 1);
  });

  it("takes a call's own declarations from .with(), over the definition's", async (t) => {
    const dir = tempDir(t);
    await using flow = await WorkflowEngine.create();
    const make = flow.executableTask((name: string) => `echo ${name} > ${name}`, {
      cwd: dir,
      outputs: ["never.dat"],
    });
    assert.equal(await make.with({ outputs: (name: string) => [name] })("b.dat"), "");
    assert.equal(readFileSync(`${dir}/b.dat`, "utf8"), "b.dat\n");
    await assert.rejects(make("c.dat"), /did not write never\.dat/);
  });

  it("fails a task whose declared output is missing, and its dependents as a failed dependency's", async (t) => {
    const dir = tempDir(t);
    await using flow = await WorkflowEngine.create();
    const make = flow.executableTask((i: number) => `test ${i} = 3 || echo ${i} > p${i}.dat`, {
      name: "make",
      cwd: dir,
      outputs: (i: number) => [`p${i}.dat`],
    });
    const use = flow.executableTask(() => "cat p3.dat", { cwd: dir, inputs: ["p3.dat"] });
    const ok = make.with({ key: 1 })(1);
    const missing = make.with({ key: 3 })(3);
    const dependent = use();
    assert.equal(await ok, "");
    await assert.rejects(missing, (e: MissingOutputError) => {
      assert.ok(e instanceof MissingOutputError);
      assert.deepEqual(e.paths, ["p3.dat"]);
      assert.equal(
        e.message,
        `'make[3]' (${missing.uid}) succeeded but did not write p3.dat (declared in its 'outputs', ` +
          `looked for in ${dir}): make the task write it there, or correct 'outputs'`,
      );
      return true;
    });
    await assert.rejects(dependent, (e: DependencyFailureError) => {
      assert.ok(e instanceof DependencyFailureError);
      assert.ok(e.rootCause instanceof MissingOutputError);
      return true;
    });
  });

  it("retries a task whose output was missing, as any failed attempt", async (t) => {
    const dir = tempDir(t);
    await using flow = await WorkflowEngine.create();
    // The first attempt leaves a mark and no output; the second writes it.
    const flaky = flow.executableTask(() => "test -e mark && echo 1 > out.dat; touch mark", {
      cwd: dir,
      outputs: ["out.dat"],
      retries: 1,
    });
    const f = flaky();
    assert.equal(await f, "");
    assert.equal(readFileSync(`${dir}/out.dat`, "utf8"), "1\n");
  });

  it("records the fingerprints of declared inputs and outputs on the done event", async (t) => {
    const dir = tempDir(t);
    writeFileSync(`${dir}/in.txt`, "hello\n");
    await using flow = await WorkflowEngine.create({ recordResults: true });
    const done: TaskEvent[] = [];
    flow.subscribe((e) => e.type === "done" && done.push(e));
    const upper = flow.executableTask(() => "tr a-z A-Z < in.txt > out.txt", {
      cwd: dir,
      inputs: ["in.txt"],
      outputs: ["out.txt"],
    });
    const plain = flow.functionTask(() => 1);
    await upper();
    await plain();
    const sha = (text: string) => createHash("sha256").update(text).digest("hex");
    const files = done[0]!.files!;
    assert.deepEqual(
      files.inputs.map((f) => [f.path, f.size, f.sha256]),
      [["in.txt", 6, sha("hello\n")]],
    );
    assert.deepEqual(
      files.outputs.map((f) => [f.path, f.size, f.sha256]),
      [["out.txt", 6, sha("HELLO\n")]],
    );
    assert.ok(files.outputs[0]!.mtimeMs > 0);
    assert.equal(done[1]!.files, undefined, "a task without declarations carries none");
  });

  it("takes the outputs a backend reported in its record instead of reading the files", async () => {
    const backend = new ManualBackend();
    await using flow = await WorkflowEngine.create({ backend, recordResults: true });
    const done: TaskEvent[] = [];
    flow.subscribe((e) => e.type === "done" && done.push(e));
    // Not on this machine: only the backend has seen it.
    const remote = flow.functionTask(() => 1, { name: "remote", outputs: ["/nowhere/x.dat"] });
    const f = remote();
    await backend.waitForSubmitted(1);
    const reported = { path: "/nowhere/x.dat", size: 1, mtimeMs: 5, sha256: "a".repeat(64) };
    backend.ctx.ran!(backend.spec("remote").id, { outputs: [reported] });
    backend.finish("remote", 7);
    assert.equal(await f, 7);
    assert.deepEqual(done[0]!.files?.outputs, [reported]);
  });

  it("only orders tasks in a dry run: nothing is written, so nothing is checked", async (t) => {
    const dir = tempDir(t);
    mkdirSync(`${dir}/sub`);
    await using flow = await WorkflowEngine.create({ dryRun: true });
    const make = flow.executableTask(() => "true", { cwd: `${dir}/sub`, outputs: ["x"] });
    const use = flow.executableTask(() => "true", { cwd: dir, inputs: ["sub/x"] });
    const m = make();
    const u = use();
    assert.match(await u, /^dry-run:/);
    assert.equal(m.state, "DONE", "the task that declared the output came first");
  });

  it("has no files on the web host: reading one fails, naming the runtime", async () => {
    const web = webHost("browser");
    assert.equal(web.hasFiles, false);
    await assert.rejects(web.fileStat("/x"), /asyncflow on browser cannot look at the file \/x/);
    await assert.rejects(web.sha256File("/x"), /cannot read the file \/x/);
  });
});
