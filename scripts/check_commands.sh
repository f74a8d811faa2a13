#!/usr/bin/env bash
# Runs the commands the documentation shows, as written, so none of them can rot:
# - every ```sh block of README.md and docs/*.md, in order, each in a fresh shell, in a copy of
#   the checkout (global installs go to scratch prefixes; `deno` on PATH stands for a system Deno);
# - every `deno task`, once with a system Deno and once without one (`npx deno task …`).
# A line that needs a Slurm allocation or a running pilot, or starts a server that runs until
# stopped (an agent, a dashboard), is listed as skipped with its reason, and so is the whole test
# suite (CI's first step runs it).
# Usage: scripts/check_commands.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
toolchain="$root/node_modules/.bin"
[ -x "$toolchain/deno" ] || bash scripts/setup.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
start=$SECONDS

# A copy of the checkout as it is (tracked and new files), sharing the installed toolchain.
copy="$work/clone"
mkdir "$copy"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
  [ -e "$f" ] && printf '%s\0' "$f"
done | xargs -0 cp --parents -t "$copy"
ln -s "$(realpath "$root/node_modules")" "$copy/node_modules"

# The reader's shell: the machine's PATH without the toolchain, a Deno of their own, and global
# installs (npm, Bun) into scratch prefixes instead of the machine's.
plain_path=$(tr ':' '\n' <<<"$PATH" | grep -vxF "$toolchain" | paste -sd:)
mkdir "$work/system-deno" && ln -s "$toolchain/deno" "$work/system-deno/deno"
export NPM_CONFIG_PREFIX="$work/npm-global" BUN_INSTALL="$work/bun-global"
reader_path="$work/system-deno:$NPM_CONFIG_PREFIX/bin:$BUN_INSTALL/bin:$plain_path"

skip_reason() {
  case "$1" in
  "npm test"* | "deno task test"*) echo "the whole test suite: CI's first step runs it" ;;
  "asyncflow pilot "*) echo "needs a Slurm allocation (tests/slurm runs the pilot)" ;;
  "asyncflow agent "* | *"agent/main.ts"*) echo "serves until stopped (tests/cli starts agents)" ;;
  "asyncflow dashboard "*) echo "serves until stopped (tests/dashboard starts it)" ;;
  *"/v1/page-tokens"*) echo "talks to a running agent (tests/agent/page_tokens_test.ts)" ;;
  *"examples/browser/serve.ts"*) echo "serves until stopped (tests/browser/example_test.ts opens its page)" ;;
  *"endpoint.json"*) echo "reads a running pilot's endpoint file (tests/agent/pinning_test.ts)" ;;
  *) ;;
  esac
}

# Prints the ```sh blocks of a Markdown file, each as its logical lines followed by a NUL.
sh_blocks() {
  awk '/^```sh$/ { inside = 1; block = ""; next }
       inside && /^```$/ { inside = 0; printf "%s%c", block, 0; next }
       inside { if (sub(/\\$/, "")) { pending = pending $0; next }
                block = block pending $0 "\n"; pending = "" }' "$1"
}

failed=0
run_block() { # <label> <script>
  local label=$1 script=$2 t0=$SECONDS
  if (cd "$copy" && PATH="$reader_path" timeout 600 bash -euo pipefail -c "$script") \
    >"$work/out" 2>&1; then
    echo "ok    $label ($((SECONDS - t0)) s)"
  else
    echo "FAIL  $label:" >&2
    sed 's/^/      /' "$work/out" >&2
    failed=1
  fi
}

for doc in README.md docs/*.md; do
  n=0
  while IFS= read -r -d '' block; do
    n=$((n + 1))
    script=""
    while IFS= read -r line; do
      command=${line%%#*}
      command=${command%"${command##*[![:space:]]}"}
      [ -n "$command" ] || continue
      reason=$(skip_reason "$command")
      if [ -n "$reason" ]; then
        echo "skip  $doc, block $n: $command — $reason"
      else
        script+="$line"$'\n'
      fi
    done <<<"$block"
    [ -z "$script" ] || run_block "$doc, block $n: $(grep -c . <<<"$script") commands" "$script"
  done < <(sh_blocks "$doc")
done

# Every deno task, with the short arguments of a smoke run. A new task fails here until it has one.
smoke_args() {
  case "$1" in
  example | compile | pack) echo "" ;;
  asyncflow) echo "run examples/campaigns.yaml -q" ;;
  bench) echo "--quick" ;;
  *) return 1 ;;
  esac
}
mapfile -t tasks < <("$toolchain/deno" eval --quiet \
  'for (const t of Object.keys(JSON.parse(Deno.readTextFileSync("deno.json")).tasks)) console.log(t)')
for task in "${tasks[@]}"; do
  reason=$(skip_reason "deno task $task")
  if [ -n "$reason" ]; then
    echo "skip  deno task $task — $reason"
    continue
  fi
  if ! args=$(smoke_args "$task"); then
    echo "FAIL  deno task $task: no smoke run for it in scripts/check_commands.sh" >&2
    failed=1
    continue
  fi
  run_block "deno task $task $args (a system Deno)" "deno task $task $args"
  # Without a Deno of one's own: the one the set-up installed, through npx.
  no_deno_path=$NPM_CONFIG_PREFIX/bin:$plain_path
  run_block "npx deno task $task $args (no system Deno)" \
    "PATH='$no_deno_path'; if command -v deno; then exit 1; fi; npx deno task $task $args"
done
[ -x "$copy/dist/asyncflow" ] && "$copy/dist/asyncflow" --version >/dev/null ||
  { echo "FAIL  deno task compile built no working dist/asyncflow" >&2; failed=1; }

echo "commands checked in $((SECONDS - start)) s"
[ $failed = 0 ] || { echo "some documented commands fail (above)" >&2; exit 1; }
