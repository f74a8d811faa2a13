#!/usr/bin/env bash
# Runs the whole test suite on Deno, Bun and Node 24, after scripts/setup.sh installed all three
# from npm (and, as root with apt, the Slurm, MPI and Chromium packages the HPC and report tests use).
# Usage: scripts/test.sh [deno|bun|node ...] [-- test files]   (default: all runtimes, every tests/**/*_test.ts)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/node_modules/.bin:$PATH"
# Runs recorded by in-process CLI tests go to a scratch folder, not into the checkout's .asyncflow/.
export ASYNCFLOW_RUNS_DIR="${ASYNCFLOW_RUNS_DIR:-$(mktemp -d)/runs}"

runtimes=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do runtimes+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
[ ${#runtimes[@]} -gt 0 ] || runtimes=(deno bun node)
# The browser (Chromium) and workerd suites drive another runtime from the test process: they run
# once, on Node, not once per runtime.
once=()
if [ $# -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <(find tests -name '*_test.ts' -not -path 'tests/browser/*' -not -path 'tests/workerd/*' | sort)
  mapfile -t once < <(find tests/browser tests/workerd -name '*_test.ts' | sort)
fi

# The 3-node Slurm tests run under Deno only, and mostly wait on Slurm (a node declared down, a
# job's time limit): in a whole-suite run they go in the background, beside the other suites,
# instead of adding their minutes to the end. Their output is printed when they are done.
cluster=()
if [ $# -eq 0 ] && [[ " ${runtimes[*]} " == *" deno "* ]] && [ -z "${ASYNCFLOW_SLURM_TEST_RUNTIME:-}" ]; then
  mapfile -t cluster < <(printf '%s\n' "${files[@]}" | grep '^tests/slurm/multinode_')
  mapfile -t files < <(printf '%s\n' "${files[@]}" | grep -v '^tests/slurm/multinode_')
fi
cluster_pid=""
if [ ${#cluster[@]} -gt 0 ]; then
  cluster_log="$(mktemp)"
  echo "=== deno, in the background: ${#cluster[@]} multi-node Slurm test files"
  deno test -A --no-check "${cluster[@]}" >"$cluster_log" 2>&1 &
  cluster_pid=$!
fi
bun_pid=""
trap '[ -n "$cluster_pid" ] && kill "$cluster_pid" 2>/dev/null; [ -n "$bun_pid" ] && kill "$bun_pid" 2>/dev/null; true' EXIT

# Node's runner takes two files at a time (its default is one on two cores, which leaves a core
# idle while a file starts its process). Bun runs every file in one process, one after another:
# when both runtimes run, Bun's suite goes in the background beside Node's, and its output is
# printed when it is done (measured on two cores: 209 s together against 353 s one after another).
run_suite() {
  case "$1" in
    deno) deno test -A --no-check "${files[@]}" ;;
    bun) bun test --timeout 60000 "${files[@]}" ;;
    node) node --test --test-timeout=60000 --test-concurrency=2 "${files[@]}" ;;
  esac
}
for runtime in "${runtimes[@]}"; do
  case "$runtime" in
    deno | bun | node) ;;
    *) echo "unknown runtime '$runtime' (deno, bun or node)" >&2; exit 2 ;;
  esac
done
# Waits for a suite that ran in the background and prints its output; its failure fails the run.
from_background() { # <pid> <log> <label>
  local code=0
  wait "$1" || code=$?
  echo "=== $3, from the background"
  cat "$2"
  rm -f "$2"
  [ "$code" -eq 0 ] || status=1
}
status=0
beside_node="" # bun, when it runs beside node
if [[ " ${runtimes[*]} " == *" bun "* ]] && [[ " ${runtimes[*]} " == *" node "* ]]; then
  beside_node=bun
fi
for runtime in "${runtimes[@]}"; do
  if [ "$runtime" = bun ] && [ -n "$beside_node" ]; then continue; fi
  if [ "$runtime" = node ] && [ -n "$beside_node" ]; then
    bun_log="$(mktemp)"
    echo "=== bun, in the background beside node: ${#files[@]} test files"
    run_suite bun >"$bun_log" 2>&1 &
    bun_pid=$!
  fi
  echo "=== $runtime: ${#files[@]} test files"
  run_suite "$runtime" || status=1
  if [ -n "$bun_pid" ]; then
    from_background "$bun_pid" "$bun_log" "bun: ${#files[@]} test files"
    bun_pid=""
  fi
done
if [ ${#once[@]} -gt 0 ]; then
  echo "=== node, once: ${#once[@]} browser and workerd test files"
  node --test --test-timeout=120000 "${once[@]}" || status=1
fi
if [ -n "$cluster_pid" ]; then
  from_background "$cluster_pid" "$cluster_log" "deno: ${#cluster[@]} multi-node Slurm test files"
  cluster_pid=""
fi
exit "$status"
