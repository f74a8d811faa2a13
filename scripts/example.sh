#!/usr/bin/env bash
# Runs an example (default: campaigns) with Deno, installing the toolchain from npm when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/deno ]; then
  echo "example: npm install: Deno, Bun and Node 24 into node_modules/.bin (nothing outside the clone)"
  npm install --no-audit --no-fund
fi
export PATH="$PWD/node_modules/.bin:$PATH"
deno run -A "examples/${1:-campaigns}.ts"
