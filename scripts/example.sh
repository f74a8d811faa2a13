#!/usr/bin/env bash
# Runs an example (default: campaigns) with Deno, installing the toolchain from npm when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x node_modules/.bin/deno ] || npm install --no-audit --no-fund
export PATH="$PWD/node_modules/.bin:$PATH"
deno run -A "examples/${1:-campaigns}.ts"
