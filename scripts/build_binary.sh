#!/usr/bin/env bash
# Builds the standalone `asyncflow` binary (one file, no runtime needed) with `bun build --compile`,
# which works offline. Where Deno can download its runtime base, `deno task compile` does the same.
# Usage: scripts/build_binary.sh [output path]   (default: dist/asyncflow)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
out="${1:-dist/asyncflow}"
mkdir -p "$(dirname "$out")"
# The worker pool's script is a second entry point: Workers load it from inside the binary.
bun build --compile cli/main.ts backends/worker_pool/worker.ts --outfile "$out"
