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

for runtime in "${runtimes[@]}"; do
  echo "=== $runtime: ${#files[@]} test files"
  case "$runtime" in
    deno) deno test -A --no-check "${files[@]}" ;;
    bun) bun test --timeout 60000 "${files[@]}" ;;
    node) node --test --test-timeout=60000 "${files[@]}" ;;
    *) echo "unknown runtime '$runtime' (deno, bun or node)" >&2; exit 2 ;;
  esac
done
if [ ${#once[@]} -gt 0 ]; then
  echo "=== node, once: ${#once[@]} browser and workerd test files"
  node --test --test-timeout=120000 "${once[@]}"
fi
