#!/usr/bin/env bash
# Installs the packed npm package the ways people install a command, each in an empty directory
# outside the checkout, and checks that `asyncflow --version` prints the package's version and that
# `asyncflow run campaigns.yaml` runs the seed campaign: npx (local install, and straight from the
# tarball), a global npm install, bunx and a global Bun install, Deno through the ./cli export, and
# the standalone binary. Node is the machine's own (20 on our machines).
# Usage: scripts/check_cli_install.sh [asyncflow.tgz]   (default: packs one with scripts/pack.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
source scripts/_toolchain_path.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tgz=${1:-}
[ -n "$tgz" ] || tgz=$(bash scripts/pack.sh "$work/asyncflow.tgz")
tgz=$(realpath "$tgz")
version=$(tar -xzOf "$tgz" package/package.json | "$system_node" -e 'let s = "";
  process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s).version))')

# Checks one route: `$@` is the command line that stands for `asyncflow`, run from an empty
# directory ($1 may be relative to it) holding only a copy of the seed campaign.
check() {
  local route=$1 dir=$2
  shift 2
  cp "$root/examples/campaigns.yaml" "$dir/"
  local out
  out=$(cd "$dir" && "$@" --version)
  [ "$out" = "asyncflow $version" ] || { echo "$route: --version printed '$out'" >&2; exit 1; }
  out=$(cd "$dir" && "$@" run campaigns.yaml --json --quiet)
  case "$out" in
  *'"status":"ok"'*'"done":15'*) echo "$route: asyncflow $version, seed campaign ok" ;;
  *) echo "$route: the seed campaign did not run: $out" >&2; exit 1 ;;
  esac
}
fresh() { mkdir -p "$work/$1" && echo "$work/$1"; }

# One copy of the engine: a workflow that imports the package gets the command's own copy, in a
# project without the package and in one with another copy installed (a TimeoutError of its own).
cat > "$work/one_copy.mjs" <<'JS'
import { TimeoutError } from "@asyncflow/asyncflow";
export default async function (flow) {
  const hang = flow.functionTask(() => new Promise(() => {}), { timeout: 50, name: "hang" });
  const error = await hang().then(() => undefined, (e) => e);
  console.log(`instanceof TimeoutError: ${error instanceof TimeoutError}`);
}
JS
# Usage: check_one_copy <route> <projects: none, other, or the project the route installed into>
#   <command…>
check_one_copy() {
  local route=$1 copies=$2 dir
  shift 2
  for copy in $copies; do
    case $copy in
    none | other) dir=$(fresh "one-copy-$copy-$RANDOM") ;;
    *) dir=$copy ;;
    esac
    cp "$work/one_copy.mjs" "$dir/"
    if [ $copy = other ]; then
      mkdir -p "$dir/node_modules/@asyncflow/asyncflow"
      echo '{ "name": "@asyncflow/asyncflow", "version": "0.0.1", "type": "module", "exports": "./mod.js" }' \
        >"$dir/node_modules/@asyncflow/asyncflow/package.json"
      echo 'export class TimeoutError extends Error {}' >"$dir/node_modules/@asyncflow/asyncflow/mod.js"
    fi
    out=$(cd "$dir" && "$@" run one_copy.mjs --quiet 2>"$dir/stderr") || true
    [ "$out" = "instanceof TimeoutError: true" ] || {
      echo "$route, copy of the package in the project: $copy: '$out'" >&2
      cat "$dir/stderr" >&2
      exit 1
    }
  done
  echo "$route: a workflow importing the package gets the command's copy (in the project: $copies)"
}
# The npm bin's `#!/usr/bin/env node` must find the machine's Node, not the toolchain's Node 24.
mkdir "$work/system-node" && ln -s "$system_node" "$work/system-node/node"
on_system_node=(env "PATH=$work/system-node:$PATH")
[ "$("${on_system_node[@]}" node --version)" = "$("$system_node" --version)" ]

dir=$(fresh npm)
(cd "$dir" && npm install --silent --no-audit --no-fund "$tgz" >/dev/null)
check "npx, Node $("$system_node" --version)" "$dir" "${on_system_node[@]}" npx asyncflow
check_one_copy "npx" "$dir" "${on_system_node[@]}" npx asyncflow
check "npx from the tarball" "$(fresh npx-tarball)" "${on_system_node[@]}" npx --yes --package "$tgz" asyncflow

prefix=$(fresh npm-global)
npm install --global --silent --no-audit --no-fund --prefix "$prefix" "$tgz" >/dev/null
check "npm install --global" "$(fresh npm-global-cwd)" "${on_system_node[@]}" "$prefix/bin/asyncflow"
check_one_copy "npm install --global" "none other" "${on_system_node[@]}" "$prefix/bin/asyncflow"
# Node 20 runs no TypeScript: a .ts workflow gets one line saying what to do, and exit 2.
dir=$(fresh node20-ts) && echo 'export default () => {};' >"$dir/workflow.ts"
status=0 && out=$(cd "$dir" && "${on_system_node[@]}" "$prefix/bin/asyncflow" run workflow.ts 2>&1) || status=$?
case "$status $("$system_node" --version) $out" in
2\ v20.*"cannot run TypeScript"*) echo "npm install --global: Node 20 and a .ts workflow: one clear line, exit 2" ;;
2\ v20.*) echo "npm install --global: unclear error for a .ts workflow on Node 20: $out" >&2 && exit 1 ;;
*) ;; # a Node that runs TypeScript
esac

dir=$(fresh bun)
(cd "$dir" && bun add --silent "$tgz" >/dev/null)
check "bunx --bun, Bun $(bun --version)" "$dir" bunx --bun asyncflow
check_one_copy "bunx --bun" "$dir" bunx --bun asyncflow

export BUN_INSTALL="$work/bun-global"
bun add --global --silent "$tgz" >/dev/null
check "bun add --global, run by Bun" "$(fresh bun-global-cwd)" bun "$BUN_INSTALL/bin/asyncflow"

# Bun cannot lend its copy to a project that has none (see cli/run/share_package.ts).
check_one_copy "bun add --global, run by Bun" "other" bun "$BUN_INSTALL/bin/asyncflow"
unset BUN_INSTALL

# Deno resolves npm: specifiers from the node_modules npm installed beside package.json; a global
# `deno install` of the ./cli export stands for `deno install -g jsr:@asyncflow/asyncflow/cli`.
dir=$(fresh deno)
(cd "$dir" && npm install --silent --no-audit --no-fund "$tgz" >/dev/null)
check "deno run npm:@asyncflow/asyncflow/cli, Deno $(deno eval --quiet 'console.log(Deno.version.deno)')" \
  "$dir" deno run -A npm:@asyncflow/asyncflow/cli
check_one_copy "deno run npm:@asyncflow/asyncflow/cli" "$dir" deno run -A npm:@asyncflow/asyncflow/cli
deno install --global --quiet -A -n asyncflow --root "$work/deno-global" \
  "$dir/node_modules/@asyncflow/asyncflow/cli/main.js" >/dev/null
check "deno install --global" "$(fresh deno-global-cwd)" "$work/deno-global/bin/asyncflow"

bash scripts/build_binary.sh "$work/binary/asyncflow" >/dev/null
check "standalone binary (bun build --compile)" "$(fresh binary-cwd)" "$work/binary/asyncflow"
check_one_copy "standalone binary" "other" "$work/binary/asyncflow"
echo "the asyncflow command works on every route"
