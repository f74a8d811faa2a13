/**
 * A pipeline mixing commands and functions: a command generates data, a
 * function parses it, commands process the parts in parallel (argv form: no
 * quoting trouble), and a function gathers the results.
 *
 * Run: deno run -A examples/pipeline.ts
 */
import { WorkflowEngine } from "../mod.ts";

await using flow = await WorkflowEngine.create();

// A command's future resolves to its stdout.
const generate = flow.executableTask(function generate(count: number) {
  return `seq 1 ${count}`;
});
// A function receives the command's stdout once it is ready.
const parse = flow.functionTask(function parse(stdout: string) {
  return stdout.trim().split("\n").map(Number);
});
const pick = flow.functionTask(function pick(values: number[], i: number) {
  return values[i]!;
});
// The body runs after its dependencies, with their values, and returns argv.
const square = flow.executableTask(function square(n: number) {
  return ["sh", "-c", "echo $(( $1 * $1 ))", "square", String(n)];
});
const total = flow.functionTask(function total(outputs: string[]) {
  return outputs.reduce((sum, out) => sum + Number(out), 0);
});

const values = parse(generate(5));
const squares = [0, 1, 2, 3, 4].map((i) => square(pick(values, i)));
console.log("sum of squares 1..5 =", await total(squares));
