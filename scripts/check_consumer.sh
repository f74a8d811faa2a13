#!/usr/bin/env bash
# Packs the package as JSR serves it to npm users (compiled JS + .d.ts), installs the tarball into
# a fresh Node project (the machine's own Node, 20 on our machines) and a fresh Bun project,
# type-checks a consumer with tsc, and runs a workflow with it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
system_node=$(command -v node)
export PATH="$root/node_modules/.bin:$PATH"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

deno pack --allow-dirty --quiet -o "$work/asyncflow.tgz"

cat > "$work/consumer.ts" <<'TS'
import { DependencyFailureError, type TaskFuture, WorkflowEngine } from "@asyncflow/asyncflow";

await using flow = await WorkflowEngine.create();
const add = flow.functionTask((a: number, b: number) => a + b);
const echo = flow.executableTask((n: number) => ["echo", `sum=${n}`]);
const bad = flow.functionTask((): number => {
  throw new Error("bad input");
});
const sum: TaskFuture<number> = add(add(1, 2), 3);
const printed: string = await echo(sum);
const failure = await add(bad(), 1).then(() => "ran", (e) => (e instanceof DependencyFailureError ? "dependency failed" : "other"));
const campaign = flow.block(async (name: string) => `${name}:${await add(20, 22)}`);
console.log(printed.trim(), failure, await campaign("A"), JSON.stringify(flow.stats()));

TS

cat > "$work/tasks.ts" <<'TS'
export function square(n: number): number {
  return n * n;
}
TS
cat > "$work/pool_consumer.ts" <<'TS'
import { WorkflowEngine } from "@asyncflow/asyncflow";
import { WorkerPoolBackend } from "@asyncflow/asyncflow/worker_pool";
import * as tasks from "./tasks.js";

const modules = [new URL(import.meta.url.endsWith(".ts") ? "./tasks.ts" : "./tasks.js", import.meta.url)];
await using flow = await WorkflowEngine.create({ backend: new WorkerPoolBackend({ modules, size: 2 }) });
const square = flow.functionTask(tasks.square);
console.log("pool:", (await Promise.all([1, 2, 3, 4].map((n) => square(n)))).join(","));
TS

expected='sum=6 dependency failed A:42'
expected_pool='pool: 1,4,9,16'
# deno pack does not write npm dependencies into the tarball (JSR derives them from the npm:
# specifiers); the consumers install the one the worker pool needs beside it.
npm_deps="comlink@^4.4.2"

echo "--- Node $("$system_node" --version): npm install of the packed tarball, tsc, run"
mkdir "$work/node-app" && cd "$work/node-app"
cat > package.json <<'JSON'
{ "name": "node-consumer", "private": true, "type": "module" }
JSON
npm install --silent --no-audit --no-fund "$work/asyncflow.tgz" $npm_deps >/dev/null
cp "$work/consumer.ts" "$work/pool_consumer.ts" "$work/tasks.ts" .
cat > tsconfig.json <<'JSON'
{ "compilerOptions": { "target": "ES2022", "module": "NodeNext", "moduleResolution": "NodeNext",
  "strict": true, "lib": ["ES2023", "ESNext.Disposable", "DOM"], "types": [], "skipLibCheck": false, "outDir": "dist" },
  "files": ["consumer.ts", "pool_consumer.ts", "tasks.ts"] }
JSON
"$root/node_modules/.bin/tsc" -p . || { echo "tsc failed on the consumer" >&2; exit 1; }
out=$("$system_node" dist/consumer.js)
echo "$out"
[[ "$out" == "$expected"* ]] || { echo "unexpected output from Node" >&2; exit 1; }
out=$("$system_node" dist/pool_consumer.js)
echo "$out"
[ "$out" = "$expected_pool" ] || { echo "unexpected worker pool output from Node" >&2; exit 1; }

echo "--- Bun $(bun --version): bun add of the packed tarball, run"
mkdir "$work/bun-app" && cd "$work/bun-app"
echo '{ "name": "bun-consumer", "private": true, "type": "module" }' > package.json
bun add --silent "$work/asyncflow.tgz" $npm_deps >/dev/null
cp "$work/consumer.ts" "$work/pool_consumer.ts" "$work/tasks.ts" .
out=$(bun consumer.ts)
echo "$out"
[[ "$out" == "$expected"* ]] || { echo "unexpected output from Bun" >&2; exit 1; }
out=$(bun pool_consumer.ts)
echo "$out"
[ "$out" = "$expected_pool" ] || { echo "unexpected worker pool output from Bun" >&2; exit 1; }
echo "consumer check passed"
