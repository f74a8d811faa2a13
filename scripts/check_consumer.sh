#!/usr/bin/env bash
# Packs the npm package (scripts/pack.sh: compiled JS + .d.ts, its npm dependencies, the bin),
# installs the tarball, and nothing else, into a fresh Node project (the machine's own Node, 20 on
# our machines) and a fresh Bun project; type-checks with tsc a consumer that imports every
# subpath export, runs workflows with it, then checks the `asyncflow` command on every route
# (scripts/check_cli_install.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
source scripts/_toolchain_path.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

bash scripts/pack.sh "$work/asyncflow.tgz" >/dev/null

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
// The worker script as the package exports it (it only runs inside a worker).
const workerScript = new URL(import.meta.resolve("@asyncflow/asyncflow/worker_pool/worker"));
await using flow = await WorkflowEngine.create({ backend: new WorkerPoolBackend({ modules, workerScript, size: 2 }) });
const square = flow.functionTask(tasks.square);
console.log("pool:", (await Promise.all([1, 2, 3, 4].map((n) => square(n)))).join(","));
TS

# Every subpath export but the worker script, each imported and required to export something:
# a missing npm dependency fails here, and tsc checks the .d.ts of every one.
tar -xzf "$work/asyncflow.tgz" -C "$work" package/package.json
mapfile -t subpaths < <("$system_node" -e '
  const { exports } = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  for (const key of Object.keys(exports)) if (key !== "./worker_pool/worker") console.log(key.slice(1));
' "$work/package/package.json")
{
  for i in "${!subpaths[@]}"; do echo "import * as m$i from \"@asyncflow/asyncflow${subpaths[$i]}\";"; done
  echo "const modules: Record<string, object> = {"
  for i in "${!subpaths[@]}"; do echo "  \".${subpaths[$i]}\": m$i,"; done
  echo "};"
  echo 'const empty = Object.keys(modules).filter((name) => Object.keys(modules[name]!).length === 0);'
  echo 'if (empty.length > 0) throw new Error(`exports nothing: ${empty.join(", ")}`);'
  echo 'console.log(`exports: ${Object.keys(modules).length} imported`);'
} > "$work/exports_consumer.ts"
expected_exports="exports: ${#subpaths[@]} imported"

expected='sum=6 dependency failed A:42'
expected_pool='pool: 1,4,9,16'

echo "--- Node $("$system_node" --version): npm install of the packed tarball, tsc, run"
mkdir "$work/node-app" && cd "$work/node-app"
cat > package.json <<'JSON'
{ "name": "node-consumer", "private": true, "type": "module" }
JSON
npm install --silent --no-audit --no-fund "$work/asyncflow.tgz" >/dev/null
cp "$work/consumer.ts" "$work/pool_consumer.ts" "$work/tasks.ts" "$work/exports_consumer.ts" .
cat > tsconfig.json <<'JSON'
{ "compilerOptions": { "target": "ES2022", "module": "NodeNext", "moduleResolution": "NodeNext",
  "strict": true, "lib": ["ES2023", "ESNext.Disposable", "DOM"], "types": [], "skipLibCheck": false, "outDir": "dist" },
  "files": ["consumer.ts", "pool_consumer.ts", "tasks.ts", "exports_consumer.ts"] }
JSON
"$root/node_modules/.bin/tsc" -p . || { echo "tsc failed on the consumer" >&2; exit 1; }
out=$("$system_node" dist/exports_consumer.js)
echo "$out"
[ "$out" = "$expected_exports" ] || { echo "unexpected output importing the exports on Node" >&2; exit 1; }
out=$("$system_node" dist/consumer.js)
echo "$out"
[[ "$out" == "$expected"* ]] || { echo "unexpected output from Node" >&2; exit 1; }
out=$("$system_node" dist/pool_consumer.js)
echo "$out"
[ "$out" = "$expected_pool" ] || { echo "unexpected worker pool output from Node" >&2; exit 1; }

echo "--- Bun $(bun --version): bun add of the packed tarball, run"
mkdir "$work/bun-app" && cd "$work/bun-app"
echo '{ "name": "bun-consumer", "private": true, "type": "module" }' > package.json
bun add --silent "$work/asyncflow.tgz" >/dev/null
cp "$work/consumer.ts" "$work/pool_consumer.ts" "$work/tasks.ts" "$work/exports_consumer.ts" .
out=$(bun exports_consumer.ts)
echo "$out"
[ "$out" = "$expected_exports" ] || { echo "unexpected output importing the exports on Bun" >&2; exit 1; }
out=$(bun consumer.ts)
echo "$out"
[[ "$out" == "$expected"* ]] || { echo "unexpected output from Bun" >&2; exit 1; }
out=$(bun pool_consumer.ts)
echo "$out"
[ "$out" = "$expected_pool" ] || { echo "unexpected worker pool output from Bun" >&2; exit 1; }
echo "consumer check passed"

bash "$root/scripts/check_cli_install.sh" "$work/asyncflow.tgz"
