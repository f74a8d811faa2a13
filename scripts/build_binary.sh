#!/usr/bin/env bash
# Builds the standalone `asyncflow` binary (one file, no runtime needed) with `bun build --compile`,
# which works offline for this machine's platform. For another platform, name a Bun target
# (bun-linux-x64, bun-linux-arm64, bun-darwin-arm64, bun-darwin-x64, bun-windows-x64): Bun then
# fetches that platform's runtime once, from the npm registry.
# Usage: scripts/build_binary.sh [output path] [bun target]   (default: dist/asyncflow, this platform)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
out="${1:-dist/asyncflow}"
target=()
[ -z "${2:-}" ] || target=(--target "$2")
mkdir -p "$(dirname "$out")"
# The worker pool's script is a second entry point: Workers load it from inside the binary.
# package.json autoloading lets a workflow import packages installed in its project (without it,
# the binary resolves a package only through an index.js); .env and bunfig.toml files are not
# read, as on every other route of the command.
bun build --compile "${target[@]}" --compile-autoload-package-json --no-compile-autoload-dotenv \
  --no-compile-autoload-bunfig cli/main.ts backends/worker_pool/worker.ts --outfile "$out"
