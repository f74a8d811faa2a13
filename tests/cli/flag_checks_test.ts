/**
 * Every command checks its flags with the engine's own checks (src/validate.ts): one message form,
 * `asyncflow <command>: '<flag>' must be <what>, got <value>`, exit code 2 and the pointer to the
 * command's --help.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { EXIT, main, memoryIo } from "../../cli/main.ts";
import { corsOrigin } from "../../agent/cors.ts";
import { integerText, oneOf } from "../../src/validate.ts";

/** The problem src/validate.ts states for `check`, without its place. */
function problemOf(check: (where: string) => unknown): string {
  try {
    check("here");
  } catch (error) {
    return (error as Error).message.replace(/^here: /, "");
  }
  throw new Error("the check passed");
}

describe("flag checks across commands", () => {
  const cases: [string, string[], string][] = [
    [
      "run",
      ["w.yaml", "--processes", "0"],
      problemOf((w) => integerText("0", 1, "--processes", w)),
    ],
    [
      "run",
      ["w.yaml", "--dashboard-port", "70000"],
      problemOf((w) => integerText("70000", 0, "--dashboard-port", w, 65535)),
    ],
    ["log", ["--limit", "1.5"], problemOf((w) => integerText("1.5", 1, "--limit", w))],
    // A negative number after a flag is its value, not an option: checked like any other.
    ["log", ["--limit", "-1"], problemOf((w) => integerText("-1", 1, "--limit", w))],
    ["log", ["-n", "-2"], problemOf((w) => integerText("-2", 1, "--limit", w))],
    [
      "run",
      ["w.yaml", "--processes", "-0.5"],
      problemOf((w) => integerText("-0.5", 1, "--processes", w)),
    ],
    [
      "agent",
      ["--cors-origin", "*"],
      problemOf((w) => corsOrigin("*", "--cors-origin", w)),
    ],
    ["agent", ["--cores", "two"], problemOf((w) => integerText("two", 1, "--cores", w))],
    [
      "agent",
      ["--launch", "ssh"],
      problemOf((w) => oneOf("ssh", ["fork", "srun", "mpiexec"], "--launch", w)),
    ],
    ["dashboard", ["--port", "http"], problemOf((w) => integerText("http", 0, "--port", w, 65535))],
    [
      "graph",
      ["w.yaml", "--format", "png"],
      problemOf((w) => oneOf("png", ["mermaid", "dot"], "--format", w)),
    ],
    [
      "pilot submit",
      ["--dir", "/tmp/p", "--nodes", "0"],
      problemOf((w) => integerText("0", 1, "--nodes", w)),
    ],
    // A value that starts with '-' and is not a number: how to give it, rather than parseArgs'
    // "argument is ambiguous"; and a flag with nothing after it.
    [
      "run",
      ["w.yaml", "--token", "-xY_z"],
      "'--token' is followed by '-xY_z', which reads as an option: to give a value that starts " +
      "with '-', join it to its flag, as in --token=-xY_z",
    ],
    [
      "graph",
      ["w.yaml", "-o", "-x"],
      "'-o' is followed by '-x', which reads as an option: to give a value that starts with '-', " +
      "join it to its flag, as in -o-x",
    ],
    ["run", ["w.yaml", "--backend"], "'--backend' needs a value after it"],
    ["graph", ["w.yaml", "-o"], "'--output' needs a value after it"],
  ];
  for (const [command, argv, problem] of cases) {
    it(`asyncflow ${command} ${argv.join(" ")}`, async () => {
      const io = memoryIo();
      assert.equal(await main([...command.split(" "), ...argv], io), EXIT.usage);
      assert.equal(
        io.stderr,
        `asyncflow ${command}: ${problem}\nRun 'asyncflow ${command} --help' for usage.\n`,
      );
    });
  }
});
